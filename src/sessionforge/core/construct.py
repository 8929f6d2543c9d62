"""Models assembled from parts that are already valid, without validating them again.

pydantic's ``model_construct`` inspects the signature of every default factory on each call (tens of
microseconds, more than validating); :func:`assemble` sets the four slots of a model directly. It is
for constructors that have checked their inputs themselves (:meth:`ChatMessage.of_text`,
:meth:`TokenUsage.of`, :meth:`SessionEvent.of_parts`), each tested to build an object equal to
the validated one; anything those checks do not cover takes the validated path.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["assemble", "collector_paused", "fast_private_init", "set_field"]

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__
_new = object.__new__  # what ``cls.__new__`` is for a model, without the metaclass's attribute hook

# The four slots every model has, set through their descriptors: what ``object.__setattr__`` ends up
# calling, without looking each up on the model's class first.
_SLOTS = BaseModel.__dict__
_set_dict = _SLOTS["__dict__"].__set__
_set_fields_set = _SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _SLOTS["__pydantic_extra__"].__set__
_set_private = _SLOTS["__pydantic_private__"].__set__


def assemble(
    cls: type[M], fields: dict[str, Any], fields_set: set[str], private: dict[str, Any] | None = None
) -> M:
    """An instance of ``cls`` holding ``fields`` (every field, in declaration order), with
    ``fields_set`` as the fields given explicitly and ``private`` as its private attributes."""
    model: M = _new(cls)
    _set_dict(model, fields)
    _set_fields_set(model, fields_set)
    _set_extra(model, None)
    _set_private(model, private)
    return model


def set_field(model: BaseModel, name: str, value: Any) -> None:
    """``model.name = value`` for a field of a model that does not validate assignments, as pydantic
    does it (the value stored, the field marked as set), without its attribute hook (~30x slower)."""
    model.__dict__[name] = value
    model.__pydantic_fields_set__.add(name)


def fast_private_init(cls: type[BaseModel], defaults: Callable[[], dict[str, Any]]) -> None:
    """Give instances of ``cls`` their private attributes as ``defaults()`` in one step.

    pydantic's generic initializer of private attributes costs about a third of validating a small
    model read back; a subclass, which may declare private attributes of its own, keeps pydantic's.
    """
    pydantic_init = cls.model_post_init

    def init_private(self: BaseModel, context: Any, /) -> None:
        if type(self) is cls:
            _set(self, "__pydantic_private__", defaults())
        else:
            pydantic_init(self, context)

    cls.model_post_init = init_private  # type: ignore[method-assign]


_pause_lock = threading.Lock()
_pauses = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while a batch of records is decoded or folded.

    Reading a session back allocates a few objects per record (dicts, models, messages), and none
    of them form cycles: every 700 allocations start a collection that frees nothing, and now and
    then a full one walks every object of the process (tens of ms in a process holding a few
    sessions). Reference counting still frees everything as usual. Nested and concurrent pauses
    share one: the collector runs again when the last one ends, unless it was off before the first.
    """
    global _pauses, _resume
    with _pause_lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
