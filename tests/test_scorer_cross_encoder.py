"""The cross-encoder scorer on a tiny BERT pair classifier that the test builds and saves."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from grounding.checking import check, get_scorer
from grounding.errors import ConfigError, ModelError

WORDS = (
    "the lighthouse was first lit in 1874 it painted blue by captain ahab 1921 stands tall".split()
)


def _tiny_model(folder: Path, labels: dict[int, str], bias: list[float]) -> Path:
    """A 2-layer BERT with a word-level vocabulary; the classifier bias decides its verdict."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", *WORDS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(str(folder))
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=128, num_labels=len(labels),
        id2label=labels, label2id={v: k for k, v in labels.items()},
    )  # fmt: skip
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def nli_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    labels = {0: "contradiction", 1: "neutral", 2: "entailment"}
    return _tiny_model(tmp_path_factory.mktemp("nli"), labels, [0.0, 0.0, 2.0])


SOURCES = ["The lighthouse was first lit in 1874.", "It stands tall."]
CLAIMS = ["The lighthouse was first lit in 1874.", "It was painted blue by Captain Ahab."]


def test_label_found_by_name_and_probabilities_follow_the_model(nli_folder: Path) -> None:
    scorer = get_scorer("cross-encoder", model=str(nli_folder))
    expected = float(torch.softmax(torch.tensor([0.0, 0.0, 2.0]), dim=0)[2])
    scores = scorer.score(CLAIMS, SOURCES)
    assert [s.support for s in scores] == pytest.approx([expected, expected], abs=1e-5)
    assert scores[0].citations == (1, 2)  # every source clears the 0.5 bar with this bias


def test_label_mapping_is_configurable(nli_folder: Path) -> None:
    by_name = get_scorer("cross-encoder", model=str(nli_folder), label="contradiction")
    by_index = get_scorer("cross-encoder", model=str(nli_folder), label=0)
    low = float(torch.softmax(torch.tensor([0.0, 0.0, 2.0]), dim=0)[0])
    assert by_name.score(CLAIMS[:1], SOURCES)[0].support == pytest.approx(low, abs=1e-5)
    assert by_index.score(CLAIMS[:1], SOURCES)[0].support == pytest.approx(low, abs=1e-5)
    with pytest.raises(ConfigError, match="not one of the model's labels"):
        get_scorer("cross-encoder", model=str(nli_folder), label="entailed")


def test_single_logit_model_and_check_report(tmp_path: Path) -> None:
    folder = _tiny_model(tmp_path / "hhem", {0: "score"}, [-3.0])
    report = check(" ".join(CLAIMS), SOURCES, scorer=get_scorer("cross-encoder", model=folder))
    assert report.checker == "cross-encoder"
    assert report.score == pytest.approx(float(torch.sigmoid(torch.tensor(-3.0))), abs=1e-5)
    assert not report.supported and len(report.claims) == 2
    assert [s.text for s in report.unsupported_spans] == [" ".join(CLAIMS)]


def test_long_sources_are_windowed_not_truncated(nli_folder: Path) -> None:
    scorer = get_scorer("cross-encoder", model=str(nli_folder), max_length=32)
    long_source = " ".join(["the lighthouse stands tall ."] * 120)
    assert len(scorer.score(CLAIMS[:1], [long_source])) == 1


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GROUNDING_CROSS_ENCODER"):
        get_scorer("cross-encoder")
    with pytest.raises(ModelError, match="not a local folder"):
        get_scorer("cross-encoder", model=str(tmp_path / "nowhere"))


def test_pickled_bin_weights_are_never_loaded(tmp_path: Path) -> None:
    folder = _tiny_model(tmp_path / "safe", {0: "no", 1: "yes"}, [0.0, 1.0])
    from transformers import BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(str(folder), use_safetensors=True)
    for weights in folder.glob("*.safetensors"):
        weights.unlink()
    torch.save(model.state_dict(), folder / "pytorch_model.bin")  # a pickle
    with pytest.raises(ModelError, match="safetensors"):
        get_scorer("cross-encoder", model=str(folder))
