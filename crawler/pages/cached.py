"""``cached_property`` without the lock.

Python 3.11's :class:`functools.cached_property` takes a lock on every first
read of every instance's value (Python 3.12 dropped it): about 0.4 µs each,
and a page's reading makes some fifty of them (0.02 ms a page, measured with
``bench.extract``). A page and its document are read by one thread, so the
lock guards nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar, overload

T = TypeVar("T")


class cached_property(Generic[T]):
    """Computes the value on the first read and stores it in the instance's
    ``__dict__``, where later reads find it without calling this descriptor.

    >>> class Page:
    ...     @cached_property
    ...     def title(self) -> str:
    ...         print("read")
    ...         return "T"
    >>> page = Page()
    >>> page.title
    read
    'T'
    >>> page.title
    'T'
    """

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.attrname = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> Self | T:
        if instance is None:
            return self
        value = instance.__dict__[self.attrname] = self.func(instance)
        return value
