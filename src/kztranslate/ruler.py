"""An ordered chain of named rules that can be listed, enabled and disabled.

The shape of markdown-it's ``Ruler`` (the block, inline and core rule chains of markdown-it and
markdown-it-py): each rule has a name and a function; the chain runs the enabled ones in order.
The pipeline keeps two: its block rules (what happens to a block of each role, see
:mod:`kztranslate.plan`) and the QA checks run on each model segment (:mod:`kztranslate.qa`).

>>> from kztranslate.ruler import Ruler
>>> rules = Ruler[str]()
>>> rules.push("first", "a"); rules.push("second", "b")
>>> rules.disable("first")
['first']
>>> rules.get_active_rules(), rules.get_rules()
(['second'], ['b'])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from .errors import UsageError

__all__ = ["Rule", "Ruler"]

RuleFunc = TypeVar("RuleFunc")


@dataclass(slots=True)
class Rule(Generic[RuleFunc]):
    """One named rule of a :class:`Ruler`."""

    name: str
    function: RuleFunc
    enabled: bool = True


class Ruler(Generic[RuleFunc]):
    """Named rules in order; the enabled ones are what :meth:`get_rules` returns."""

    def __init__(self, rules: Iterable[tuple[str, RuleFunc]] = ()) -> None:
        self._rules: list[Rule[RuleFunc]] = []
        for name, function in rules:
            self.push(name, function)

    # -- building the chain -------------------------------------------------------------------
    def push(self, name: str, function: RuleFunc) -> None:
        """Add a rule at the end of the chain."""
        self._insert(len(self._rules), name, function)

    def before(self, before_name: str, name: str, function: RuleFunc) -> None:
        """Add a rule just before the rule ``before_name``."""
        self._insert(self._find(before_name), name, function)

    def after(self, after_name: str, name: str, function: RuleFunc) -> None:
        """Add a rule just after the rule ``after_name``."""
        self._insert(self._find(after_name) + 1, name, function)

    def at(self, name: str, function: RuleFunc) -> None:
        """Replace the function of the rule ``name`` (it keeps its place and its state)."""
        index = self._find(name)
        self._rules[index] = replace(self._rules[index], function=function)

    # -- switching rules on and off -----------------------------------------------------------
    def enable(self, names: str | Iterable[str], ignore_invalid: bool = False) -> list[str]:
        """Enable the named rules; returns the names found. An unknown name is a :class:`UsageError`
        naming the rules there are, unless ``ignore_invalid``."""
        return self._set(names, True, ignore_invalid)

    def disable(self, names: str | Iterable[str], ignore_invalid: bool = False) -> list[str]:
        """Disable the named rules; returns the names found (unknown names: as :meth:`enable`)."""
        return self._set(names, False, ignore_invalid)

    def enable_only(self, names: str | Iterable[str], ignore_invalid: bool = False) -> list[str]:
        """Enable the named rules and disable every other one."""
        wanted = self._names(names, ignore_invalid)
        for rule in self._rules:
            rule.enabled = rule.name in wanted
        return wanted

    # -- reading the chain --------------------------------------------------------------------
    def get_rules(self) -> list[RuleFunc]:
        """The functions of the enabled rules, in order."""
        return [rule.function for rule in self._rules if rule.enabled]

    def get_all_rules(self) -> list[str]:
        """The name of every rule, in order."""
        return [rule.name for rule in self._rules]

    def get_active_rules(self) -> list[str]:
        """The names of the enabled rules, in order."""
        return [rule.name for rule in self._rules if rule.enabled]

    def copy(self) -> Ruler[RuleFunc]:
        """An independent chain with the same rules and states (disabling a rule of the copy leaves
        this one as it is)."""
        twin: Ruler[RuleFunc] = Ruler()
        twin._rules = [replace(rule) for rule in self._rules]
        return twin

    def __contains__(self, name: object) -> bool:
        return any(rule.name == name for rule in self._rules)

    def __repr__(self) -> str:
        states = ", ".join(rule.name + ("" if rule.enabled else " (disabled)") for rule in self._rules)
        return f"Ruler([{states}])"

    # -- internals ----------------------------------------------------------------------------
    def _insert(self, index: int, name: str, function: RuleFunc) -> None:
        if name in self:
            raise UsageError(f"there is a rule named {name!r} already; replace its function with at({name!r}, …)")
        self._rules.insert(index, Rule(name, function))

    def _find(self, name: str) -> int:
        for index, rule in enumerate(self._rules):
            if rule.name == name:
                return index
        raise self._unknown([name])

    def _names(self, names: str | Iterable[str], ignore_invalid: bool) -> list[str]:
        wanted = [names] if isinstance(names, str) else list(names)
        unknown = [name for name in wanted if name not in self]
        if unknown and not ignore_invalid:
            raise self._unknown(unknown)
        return [name for name in wanted if name in self]

    def _set(self, names: str | Iterable[str], enabled: bool, ignore_invalid: bool) -> list[str]:
        found = self._names(names, ignore_invalid)
        for rule in self._rules:
            if rule.name in found:
                rule.enabled = enabled
        return found

    def _unknown(self, names: list[str]) -> UsageError:
        return UsageError(f"no rule named {', '.join(map(repr, names))}; the rules are: "
                          f"{', '.join(self.get_all_rules()) or 'none'}")
