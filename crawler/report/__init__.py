"""The archive report: one self-contained HTML file of plotly charts
(``scrapy archive-report``). Plotly is the optional ``[report]`` extra."""
