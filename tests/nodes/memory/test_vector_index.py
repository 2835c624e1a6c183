"""One conformance suite for every vector index: numpy, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import math

import numpy as np
import pytest

from plait.nodes.memory.vectors import VectorError, VectorIndex
from tests.nodes.memory.conftest import OpenIndex

pytestmark = pytest.mark.anyio

DIMENSION = 8


def unit(seed: int, count: int, dimension: int = DIMENSION) -> list[list[float]]:
    vectors: list[list[float]] = (
        np.random.default_rng(seed).normal(size=(count, dimension)).tolist()
    )
    return vectors


def brute_force(vectors: list[list[float]], query: list[float], k: int) -> list[int]:
    matrix = np.asarray(vectors, dtype=np.float64)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    scores = matrix @ (np.asarray(query) / np.linalg.norm(query))
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k]]


async def test_search_is_exact_cosine_top_k_best_first(open_index: OpenIndex) -> None:
    vectors = unit(1, 200)
    ids = [f"v{i}" for i in range(200)]
    async with open_index(DIMENSION) as index:
        assert isinstance(index, VectorIndex)
        await index.add(ids, vectors, [{"n": i} for i in range(200)])
        for seed in range(5):
            [query] = unit(100 + seed, 1)
            hits = await index.search(query, k=10)
            assert [hit.id for hit in hits] == [ids[i] for i in brute_force(vectors, query, 10)]
            assert [hit.metadata["n"] for hit in hits] == [int(hit.id[1:]) for hit in hits]
            scores = [hit.score for hit in hits]
            assert scores == sorted(scores, reverse=True)
            best = np.asarray(vectors[int(hits[0].id[1:])])
            cosine = best @ query / (np.linalg.norm(best) * np.linalg.norm(query))
            assert hits[0].score == pytest.approx(cosine, abs=1e-5)
        assert await index.count() == 200


async def test_an_item_is_its_own_nearest_neighbour_and_k_caps_at_the_count(
    open_index: OpenIndex,
) -> None:
    async with open_index(DIMENSION) as index:
        assert await index.search([1.0] * DIMENSION) == []
        await index.add(["a", "b", "c"], unit(2, 3))
        [b] = unit(2, 3)[1:2]
        hits = await index.search([2 * x for x in b], k=50)  # length does not matter
        assert len(hits) == 3
        assert hits[0].id == "b"
        assert hits[0].score == pytest.approx(1.0, abs=1e-6)


async def test_upsert_replaces_add_refuses_a_stored_id_and_delete_counts(
    open_index: OpenIndex,
) -> None:
    x, y = [1.0] + [0.0] * (DIMENSION - 1), [0.0, 1.0] + [0.0] * (DIMENSION - 2)
    async with open_index(DIMENSION) as index:
        await index.add(["a", "b"], [x, y], [{"tag": "old"}, {"tag": "b"}])
        with pytest.raises(VectorError, match="'a' is already stored with another vector: use"):
            await index.add(["c", "a"], [x, y], [{}, {"tag": "old"}])
        assert await index.count() == 2  # "c" was not stored either
        await index.upsert(["a", "c"], [y, x], [{"tag": "new"}, {"tag": "c"}])
        hits = await index.search(y, k=2)
        assert {hit.id for hit in hits} == {"a", "b"}
        assert next(h for h in hits if h.id == "a").metadata == {"tag": "new"}
        assert await index.delete(["a", "missing", "a"]) == 1
        assert await index.delete(["a"]) == 0
        assert (await index.search(y, k=3))[0].id == "b"
        assert await index.count() == 2
        await index.add(["a"], [x])  # a deleted id may come back
        assert await index.count() == 3


async def test_adding_a_stored_item_again_as_it_is_is_a_no_op(open_index: OpenIndex) -> None:
    x, y = unit(6, 2)
    noisy = [value + 1e-4 for value in x]  # an embedding service's run-to-run noise
    async with open_index(DIMENSION) as index:
        await index.add(["a"], [x], [{"tags": ("t", "u"), "n": 1}])  # type: ignore[dict-item]
        await index.add(["a", "b"], [noisy, y], [{"n": 1, "tags": ["t", "u"]}, {}])
        assert await index.count() == 2  # "a" repeated (kept as first stored), "b" added
        [hit] = await index.search(x, k=1)
        assert hit.id == "a"
        assert hit.score == pytest.approx(1.0, abs=1e-6)
        with pytest.raises(VectorError, match="'a' is already stored with other metadata"):
            await index.add(["c", "a"], [y, x], [{}, {"n": 2, "tags": ["t", "u"]}])
        with pytest.raises(VectorError, match="'a' is already stored with another vector"):
            await index.add(["a"], [y], [{"n": 1, "tags": ["t", "u"]}])
        with pytest.raises(VectorError, match="'b' appears twice in one batch"):
            await index.add(["b", "b"], [y, y])
        assert await index.count() == 2  # "c" was not stored either
    async with open_index(DIMENSION) as index:
        await index.add(["a", "b"], [x, y], [{"n": 1, "tags": ["t", "u"]}, {}])  # reopened
        assert await index.count() == 2


async def test_persistent_indexes_keep_items_across_reopening(open_index: OpenIndex) -> None:
    vectors = unit(3, 20)
    async with open_index(DIMENSION) as index:
        await index.add([f"v{i}" for i in range(20)], vectors, [{"i": i} for i in range(20)])
        await index.delete(["v3"])
        await index.upsert(["v4"], [vectors[5]], [{"i": 55}])
    async with open_index(DIMENSION) as index:
        assert await index.count() == 19
        hits = await index.search(vectors[5], k=2)
        assert {hit.id for hit in hits} == {"v4", "v5"}
        assert {hit.metadata["i"] for hit in hits} == {55, 5}
        assert all(hit.id != "v3" for hit in await index.search(vectors[3], k=19))


async def test_where_filters_by_metadata_equality(open_index: OpenIndex) -> None:
    vectors = unit(4, 30)
    metadata = [{"lang": "en" if i % 3 else "fr", "year": 2000 + i % 2} for i in range(30)]
    async with open_index(DIMENSION) as index:
        await index.add([f"v{i}" for i in range(30)], vectors, metadata)
        hits = await index.search(vectors[0], k=30, where={"lang": "fr", "year": 2000})
        expected = {f"v{i}" for i in range(30) if i % 3 == 0 and i % 2 == 0}
        assert {hit.id for hit in hits} == expected
        assert hits[0].id == "v0"
        assert await index.search(vectors[0], where={"lang": "de"}) == []


async def test_a_filter_on_an_unknown_field_names_it_and_the_known_ones(
    open_index: OpenIndex,
) -> None:
    async with open_index(DIMENSION) as index:
        await index.add(["a"], unit(5, 1), [{"lang": "en", "year": 2020}])
        with pytest.raises(VectorError) as caught:
            await index.search(unit(6, 1)[0], where={"lnag": "en"})
        assert "'lnag'" in str(caught.value)
        assert "known fields: lang, year" in str(caught.value)


BAD_BATCHES = [
    pytest.param([[1.0] * DIMENSION, [1.0] * 3], "vector 'b' has 3 dimensions", id="dimension"),
    pytest.param([[1.0] * DIMENSION, [math.nan] * DIMENSION], "'b' holds NaN", id="nan"),
    pytest.param([[1.0] * DIMENSION, [math.inf] * DIMENSION], "'b' holds NaN", id="inf"),
    pytest.param([[1.0] * DIMENSION, [0.0] * DIMENSION], "'b' is all zeros", id="zero"),
    pytest.param([[1.0] * DIMENSION], "2 ids but 1 vectors", id="count"),
]


@pytest.mark.parametrize(("vectors", "message"), BAD_BATCHES)
async def test_a_batch_with_one_bad_vector_stores_nothing(
    open_index: OpenIndex, vectors: list[list[float]], message: str
) -> None:
    async with open_index(DIMENSION) as index:
        for write in (index.add, index.upsert):
            with pytest.raises(VectorError, match=message):
                await write(["a", "b"], vectors)
        assert await index.count() == 0
    async with open_index(DIMENSION) as index:
        assert await index.count() == 0


async def test_bad_ids_metadata_queries_and_k_are_refused(open_index: OpenIndex) -> None:
    vector = [1.0] * DIMENSION
    async with open_index(DIMENSION) as index:
        with pytest.raises(VectorError, match="appears twice"):
            await index.add(["a", "a"], [vector, vector])
        with pytest.raises(VectorError, match="expected a non-empty string"):
            await index.add([""], [vector])
        with pytest.raises(VectorError, match="give a list of ids"):
            await index.add("abc", [vector] * 3)
        with pytest.raises(VectorError, match="field 'when': date is not a JSON value"):
            await index.add(["a"], [vector], [{"when": datetime.date(2020, 1, 1)}])  # type: ignore[dict-item]
        with pytest.raises(VectorError, match="field 'x': nan is not a JSON number"):
            await index.add(["a"], [vector], [{"x": math.nan}])
        assert await index.count() == 0
        with pytest.raises(VectorError, match="has 2 dimensions"):
            await index.search([1.0, 2.0])
        with pytest.raises(VectorError, match="holds NaN"):
            await index.search([math.nan] * DIMENSION)
        with pytest.raises(VectorError, match="k=0: expected a positive"):
            await index.search(vector, k=0)


async def test_a_persistent_index_refuses_another_dimension(open_index: OpenIndex) -> None:
    if open_index.kind == "numpy":  # type: ignore[attr-defined]
        pytest.skip("an in-process index has no stored dimension")
    async with open_index(DIMENSION) as index:
        await index.add(["a"], [[1.0] * DIMENSION])
    with pytest.raises(VectorError, match=f"holds {DIMENSION}-dimensional vectors, not 4"):
        async with open_index(4):
            pass
