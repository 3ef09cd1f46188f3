"""Fusion keeps decisive exact-term hits; the rerank stage orders one list of candidates."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from grounding.errors import ConfigError, ModelError, NotRegisteredError
from grounding.retrieval.fusion import lead, reciprocal_rank_fusion
from grounding.retrieval.rerank.base import Reranker, get_reranker, list_rerankers
from grounding.schema import Chunk, SearchHit


def _hit(name: str, score: float, retriever: str = "bm25") -> SearchHit:
    chunk = Chunk(id=name, doc_id=name, title=name, uri=f"{name}.md", text=f"{name} text",
                  start=0, end=9)  # fmt: skip
    return SearchHit(chunk=chunk, score=score, retriever=retriever)


# The os.EOL case: BM25 ranks the right chunk first, 6.78 against 4.73 for the next; the dense
# ranking does not have it in its 20, and ranks the BM25 runners-up middling.
BM25 = [_hit("eol", 6.78), *(_hit(f"b{i}", 4.73 - 0.1 * i) for i in range(19))]
DENSE = [_hit(f"b{i}", 0.6 - 0.005 * i, "dense") for i in range(1, 20)] + [_hit("d", 0.5)]


def test_plain_rank_fusion_buries_the_decisive_hit() -> None:
    top = [h.chunk.id for h in reciprocal_rank_fusion([DENSE, BM25], k=5, keep_lead=None)]
    assert "eol" not in top  # the defect the issue reports


def test_a_hit_first_by_a_wide_margin_survives_fusion_into_the_top_5() -> None:
    assert lead(BM25) == pytest.approx((6.78 - 4.73) / (6.78 - (4.73 - 1.8)))
    fused = reciprocal_rank_fusion([DENSE, BM25], k=5)
    top = [h.chunk.id for h in fused]
    assert len(top) == 5 and "eol" in top
    assert top[:4] == [h.chunk.id for h in reciprocal_rank_fusion([DENSE, BM25], 4, keep_lead=None)]


def test_a_narrow_lead_does_not_reorder() -> None:
    close = [_hit("near", 4.8), *(_hit(f"b{i}", 4.73 - 0.1 * i) for i in range(19))]
    assert lead(close) < 0.1
    plain = reciprocal_rank_fusion([DENSE, close], k=5, keep_lead=None)
    assert reciprocal_rank_fusion([DENSE, close], k=5) == plain


def test_rerankers_are_chosen_by_name() -> None:
    assert {"none", "sentence", "cross-encoder", "pair"} <= set(list_rerankers())
    hits = [_hit("a", 3.0), _hit("b", 2.0), _hit("c", 1.0)]
    assert get_reranker("none").rerank("q", hits, 2) == hits[:2]
    with pytest.raises(NotRegisteredError, match="unknown reranker"):
        get_reranker("nope")
    with pytest.raises(ConfigError, match="GROUNDING_RERANKER_MODEL"):
        get_reranker("cross-encoder")
    with pytest.raises(ModelError, match="not a local folder"):
        get_reranker("cross-encoder", model="no/such/folder")


WORDS = "the end of line marker is on windows and posix systems os eol type".split()


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT pair classifier with one logit and random weights, saved locally."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder = tmp_path_factory.mktemp("reranker")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(str(folder))
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=128, num_labels=1,
    )  # fmt: skip
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(str(folder))
    return folder


def test_cross_encoder_orders_the_pool_by_its_own_scores(tiny_cross_encoder: Path) -> None:
    from sentence_transformers import CrossEncoder

    texts = ["the end of line marker", "os type", "posix systems", "on windows", "eol is"]
    pool = [_hit(f"c{i}", 1.0) for i in range(len(texts))]
    pool = [h.model_copy(update={"chunk": h.chunk.model_copy(update={"text": t})})
            for h, t in zip(pool, texts, strict=True)]  # fmt: skip
    reranker = get_reranker("cross-encoder", model=tiny_cross_encoder)
    ranked = reranker.rerank("what is os eol on windows", pool, 3)
    model = CrossEncoder(str(tiny_cross_encoder), device="cpu", local_files_only=True)
    want = model.predict([("what is os eol on windows", t) for t in texts])
    assert [h.chunk.text for h in ranked] == [texts[i] for i in (-want).argsort()[:3]]
    assert [h.score for h in ranked] == pytest.approx(sorted(want, reverse=True)[:3], abs=1e-5)


def test_cross_encoder_refuses_pickled_weights(tiny_cross_encoder: Path, tmp_path: Path) -> None:
    import shutil

    from transformers import BertForSequenceClassification

    folder = tmp_path / "pickled"
    shutil.copytree(tiny_cross_encoder, folder)
    model = BertForSequenceClassification.from_pretrained(str(folder), use_safetensors=True)
    for weights in folder.glob("*.safetensors"):
        weights.unlink()
    torch.save(model.state_dict(), folder / "pytorch_model.bin")  # a pickle
    with pytest.raises(ModelError, match="safetensors"):
        get_reranker("cross-encoder", model=folder)


class _Reverse(Reranker):
    """A reranker that shows what it was given: the pool, reversed."""

    name = "reverse"

    def __init__(self) -> None:
        self.seen: list[SearchHit] = []

    def rerank(self, query: str, hits: list[SearchHit], k: int) -> list[SearchHit]:
        self.seen = list(hits)
        return list(reversed(hits))[:k]


def test_the_grounder_reranks_a_pool_after_retrieval_and_records_it() -> None:
    from grounding import Grounder
    from grounding.orchestration.grounder import RERANK_POOL

    reverse = _Reverse()
    grounder = Grounder(reranker=reverse, scorer="overlap", k=3)
    answer = grounder.ask("When was the Varnholt Head Lighthouse first lit?")
    assert len(reverse.seen) == 3 * RERANK_POOL  # k * RERANK_POOL candidates, fused, one list
    assert [s.uri for s in answer.sources] == [h.chunk.uri for h in reverse.seen[::-1][:3]]
    assert answer.grounding_metadata.retrieval_metadata.reranker == "reverse"
    default = Grounder(scorer="overlap", k=3).ask("Who was the first keeper?")
    assert default.grounding_metadata.retrieval_metadata.reranker == "none"


def _chunk_hit(name: str, text: str, title: str = "gzip NEWS") -> SearchHit:
    chunk = Chunk(id=name, doc_id=name, title=title, uri=f"{name}.txt", text=text, start=0,
                  end=len(text))  # fmt: skip
    return SearchHit(chunk=chunk, score=0.0, retriever="fused")


# Fused order: the chunk that answers comes last, its one answering sentence among others.
POOL = [
    _chunk_hit(
        "a",
        "gzip 1.9 is faster at decompressing. The gzip program now builds "
        "with newer compilers. Release notes list every change in gzip.",
    ),
    _chunk_hit(
        "b",
        "gzip -l no longer reports a write error when writing to a pipe. "
        "The --rsyncable option is now documented.",
    ),
    _chunk_hit(
        "c",
        "Tarballs are signed with the maintainer's key. Bug reports go to the gzip mailing list.",
    ),
    _chunk_hit(
        "d",
        "Commands implemented via shell scripts are now more consistent about "
        "failure status. Support for VMS and Amiga has been removed. It was not "
        "working anyway, and it caused file name glitches on MS-Windows.",
    ),
]


def test_the_sentence_reranker_finds_the_chunk_whose_sentence_answers() -> None:
    """Real MiniLM cosine over real sentences: the buried sentence lifts its chunk first."""
    reranker = get_reranker("sentence")
    question = "Support for which systems was removed from gzip?"
    ranked = reranker.rerank(question, POOL, 2)
    assert [h.chunk.id for h in ranked][:1] == ["d"]
    assert len(ranked) == 2 and ranked[0].score >= ranked[1].score
    assert reranker.rerank(question, [], 3) == [] and reranker.rerank(question, POOL, 0) == []
    assert [h.chunk.id for h in get_reranker("none").rerank(question, POOL, 2)] == ["a", "b"]


def test_the_sentence_reranker_embeds_only_its_shortlist() -> None:
    """The second stage (MiniLM) sees `second_stage` chunks; the rest keep first-stage order."""
    from grounding.retrieval.rerank.sentence import SentenceReranker

    narrow = SentenceReranker(second_stage=1)
    ranked = narrow.rerank("Support for which systems was removed from gzip?", POOL, 4)
    assert ranked[0].chunk.id == "d"  # first on question words alone
    assert sorted(h.chunk.id for h in ranked) == ["a", "b", "c", "d"]


def test_the_pair_reranker_reads_the_question_with_each_chunk() -> None:
    """The packaged pair model's answer head lifts the last chunk, the one that answers, over
    three that share the question's words; the rank penalty keeps the others in fused order."""
    reranker = get_reranker("pair")
    question = "Support for which systems was removed from gzip?"
    ranked = reranker.rerank(question, POOL, 4)
    assert [h.chunk.id for h in ranked][:1] == ["d"]
    assert sorted(h.chunk.id for h in ranked) == ["a", "b", "c", "d"]
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
    assert reranker.rerank(question, [], 3) == [] and reranker.rerank(question, POOL, 0) == []
    # with a penalty this large, nothing can overtake the fused order
    from grounding.retrieval.rerank.pair import PairReranker

    assert [h.chunk.id for h in PairReranker(rank_penalty=2.0).rerank(question, POOL, 4)] == [
        "a", "b", "c", "d"
    ]  # fmt: skip
