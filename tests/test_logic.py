"""Kleene's strong three-valued logic: full truth tables, De Morgan, no bool()."""

from __future__ import annotations

import itertools

import pytest

from engine.logic import Truth, all_of, any_of

T, U, F = Truth.TRUE, Truth.UNKNOWN, Truth.FALSE

# Kleene K3 (as cql-execution test/elm/logical/data.cql): rows a, columns b in order T, U, F
AND = {
    (T, T): T, (T, U): U, (T, F): F,
    (U, T): U, (U, U): U, (U, F): F,
    (F, T): F, (F, U): F, (F, F): F,
}  # fmt: skip
OR = {
    (T, T): T, (T, U): T, (T, F): T,
    (U, T): T, (U, U): U, (U, F): U,
    (F, T): T, (F, U): U, (F, F): F,
}  # fmt: skip
NOT = {T: F, U: U, F: T}


def test_tables_cover_every_pair():
    pairs = set(itertools.product(Truth, repeat=2))
    assert set(AND) == pairs and set(OR) == pairs and set(NOT) == set(Truth)
    assert len(pairs) == 9


@pytest.mark.parametrize(("a", "b"), list(itertools.product(Truth, repeat=2)))
def test_and(a, b):
    assert a & b is AND[(a, b)]


@pytest.mark.parametrize(("a", "b"), list(itertools.product(Truth, repeat=2)))
def test_or(a, b):
    assert a | b is OR[(a, b)]


@pytest.mark.parametrize("a", list(Truth))
def test_not(a):
    assert ~a is NOT[a]


@pytest.mark.parametrize(("a", "b"), list(itertools.product(Truth, repeat=2)))
def test_de_morgan(a, b):
    assert ~(a & b) is (~a | ~b)
    assert ~(a | b) is (~a & ~b)


@pytest.mark.parametrize("a", list(Truth))
def test_double_negation(a):
    assert ~~a is a


@pytest.mark.parametrize(("a", "b", "c"), list(itertools.product(Truth, repeat=3)))
def test_associative_commutative_distributive(a, b, c):
    assert (a & b) & c is a & (b & c)
    assert (a | b) | c is a | (b | c)
    assert a & b is b & a and a | b is b | a
    assert a & (b | c) is (a & b) | (a & c)
    assert a | (b & c) is (a | b) & (a | c)


def test_order_false_unknown_true():
    assert F & U is F and U & T is U and F | U is U and U | T is T


@pytest.mark.parametrize("a", list(Truth))
def test_bool_raises(a):
    with pytest.raises(TypeError, match="is Truth.TRUE"):
        bool(a)
    with pytest.raises(TypeError):
        if a:  # noqa: SIM108 - the point is that this cannot run
            pass


def test_values_are_strings():
    assert [t.value for t in Truth] == ["false", "unknown", "true"]
    assert Truth("unknown") is U


def test_of():
    assert Truth.of(True) is T and Truth.of(False) is F


@pytest.mark.parametrize("values", list(itertools.chain.from_iterable(itertools.product(Truth, repeat=n) for n in range(4))))
def test_all_of_any_of_fold(values):
    expected_and, expected_or = T, F
    for v in values:
        expected_and, expected_or = AND[(expected_and, v)], OR[(expected_or, v)]
    assert all_of(values) is expected_and
    assert any_of(values) is expected_or
