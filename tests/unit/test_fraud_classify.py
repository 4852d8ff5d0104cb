"""Fraud-type classification without a database: the lexicon out of the box, a small trained model, its file,
and the inputs that are not ordinary messages (empty, unknown, very long, a bad CSV)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from pingan.core.errors import BadInput
from pingan.fraud.classify import LABEL_NAMES, FraudClassifier, Label
from pingan.fraud.classify.model import MAX_CHUNKS, ModelFileError, TextModel, chunks, hashed_counts
from pingan.fraud.classify.training import read_labelled, scores, train
from tests.unit.fraud_type_examples import EXAMPLES

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CASES = [(label, text) for label, texts in EXAMPLES.items() for text in texts]
# A small county's labelled cases: a few types only (no military purchase, gambling, credit repair, shopping,
# investment, other): the model must still leave those to the lexicon.
TRAINED = ("order_brushing", "loan", "impersonate_officials", "impersonate_acquaintance", "normal")
TRAIN_ROWS = {
    "order_brushing": ["兼职刷单日结佣金", "做任务点赞返利", "垫付本金返佣金", "接单刷信誉日赚", "任务群派单连单"],
    "loan": ["无抵押贷款当天放款", "网贷下款先交工本费", "低息借款额度高", "黑户也能贷款秒批", "贷款解冻费保证金"],
    "impersonate_officials": [
        "公安局警官涉嫌洗钱",
        "检察院逮捕令配合调查",
        "法院传票涉案",
        "资金清查安全账户",
        "通缉令刑事责任",
    ],
    "impersonate_acquaintance": [
        "我是你领导明天来办公室",
        "老同学换号了借点钱",
        "在开会不方便接电话帮我转",
        "亲戚急用钱周转",
        "猜猜我是谁新号码",
    ],
    "normal": ["晚上回家吃饭", "明天开会请准时", "快递放门卫了", "周末一起爬山", "电费已缴清谢谢"],
}


@pytest.fixture(scope="module")
def small_model() -> TextModel:
    texts = [t for rows in TRAIN_ROWS.values() for t in rows]
    labels = [Label(lab) for lab, rows in TRAIN_ROWS.items() for _ in rows]
    return TextModel.train(texts, labels, now=NOW)


@pytest.fixture
def lexicon_only() -> FraudClassifier:
    return FraudClassifier(None)


@pytest.mark.parametrize(("label", "text"), CASES, ids=[f"{lab}-{i % 2}" for i, (lab, _) in enumerate(CASES)])
def test_the_lexicon_alone_knows_every_type_of_the_taxonomy(
    lexicon_only: FraudClassifier, label: str, text: str
) -> None:
    [prediction] = lexicon_only.classify([text])
    assert prediction.label == label, prediction
    assert prediction.source == "lexicon"
    assert prediction.name == LABEL_NAMES[Label(label)]
    assert 0 < prediction.confidence <= 1


def test_every_label_has_examples_and_lexicon_terms() -> None:
    assert set(EXAMPLES) == {lab.value for lab in Label}
    covered = FraudClassifier(None).lexicon.covered
    assert covered == set(Label) - {Label.NORMAL}


def test_empty_and_blank_texts_are_normal_with_no_confidence(lexicon_only: FraudClassifier) -> None:
    out = lexicon_only.classify(["", "   \n", None, "刷单返利日结佣金"])
    assert [p.source for p in out] == ["empty", "empty", "empty", "lexicon"]
    assert all(p.label == Label.NORMAL and p.confidence == 0.0 for p in out[:3])
    assert out[3].label == Label.ORDER_BRUSHING


def test_a_text_with_no_sign_of_fraud_is_normal(lexicon_only: FraudClassifier) -> None:
    for text in ("asdf qwer 12345", "😀😀😀", "今天天气不错"):
        [prediction] = lexicon_only.classify([text])
        assert prediction.label == Label.NORMAL, text


def test_one_weak_term_is_not_enough_to_call_fraud(lexicon_only: FraudClassifier) -> None:
    [prediction] = lexicon_only.classify(["这个游戏挺好玩的"])
    assert prediction.label == Label.NORMAL
    [prediction] = lexicon_only.classify(["有人让我下载APP输入验证码"])
    assert prediction.label == Label.OTHER  # signs of fraud that name no type


def test_full_width_letters_match_the_lexicon(lexicon_only: FraudClassifier) -> None:
    [prediction] = lexicon_only.classify(["老师说买ＵＳＤＴ稳赚不赔"])
    assert prediction.label == Label.INVESTMENT
    assert "usdt" in prediction.terms


def test_a_long_statement_is_read_in_windows_up_to_a_limit(
    lexicon_only: FraudClassifier, small_model: TextModel
) -> None:
    filler = "那天我在家里做饭，孩子在写作业，一切都和平常一样。" * 40
    story = filler + "后来对方说是公安局警官，说我涉嫌洗钱，要我把钱转到安全账户配合调查。" + filler
    assert len(chunks(story)) > 3
    assert len(chunks("x" * 10**6)) == MAX_CHUNKS
    [prediction] = lexicon_only.classify([story])
    assert prediction.label == Label.IMPERSONATE_OFFICIALS
    lexicon_only.use(small_model)
    [prediction] = lexicon_only.classify([story])
    assert prediction.label == Label.IMPERSONATE_OFFICIALS
    [huge] = lexicon_only.classify(["刷单返利" + "啊" * 2_000_000])
    assert huge.label == Label.ORDER_BRUSHING


def test_a_trained_model_learns_its_labels(small_model: TextModel) -> None:
    classifier = FraudClassifier(None)
    classifier.use(small_model)
    out = classifier.classify(["兼职做任务刷单返佣金", "网贷当天放款先交工本费", "周末回家吃饭"])
    assert [p.label for p in out] == [Label.ORDER_BRUSHING, Label.LOAN, Label.NORMAL]
    assert all(p.source == "model" for p in out)
    assert small_model.trained == tuple(Label(lab) for lab in TRAINED)


@pytest.mark.parametrize("label", ["military_purchase", "gambling", "credit_repair", "fake_shopping", "investment"])
def test_types_with_no_training_rows_are_still_found_through_the_lexicon(small_model: TextModel, label: str) -> None:
    classifier = FraudClassifier(None)
    classifier.use(small_model)
    out = classifier.classify(list(EXAMPLES[label]))
    assert [p.label.value for p in out] == [label, label]


def test_the_model_file_round_trips(tmp_path: Path, small_model: TextModel) -> None:
    path = tmp_path / "m.npz"
    small_model.save(path)
    loaded = TextModel.load(path)
    assert loaded.trained == small_model.trained
    assert loaded.meta["rows"] == 25
    assert loaded.meta["trained_at"] == NOW.isoformat()
    texts = [t for _, t in CASES]
    folded = [t.lower() for t in texts]
    assert np.allclose(loaded.probabilities(folded), small_model.probabilities(folded))
    # The service picks the file up by itself, and a new file when it is replaced.
    classifier = FraudClassifier(path)
    assert [p.label for p in classifier.classify(texts)] == [p.label for p in _using(small_model).classify(texts)]
    assert classifier.classify(["刷单"])[0].source == "model"
    path.unlink()
    assert classifier.classify(["刷单"])[0].source == "lexicon"


def _using(model: TextModel) -> FraudClassifier:
    classifier = FraudClassifier(None)
    classifier.use(model)
    return classifier


def test_a_damaged_or_foreign_model_file_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match=r"bad\.npz"):
        TextModel.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, meta=np.array('{"format": "something-else"}'))
    with pytest.raises(ModelFileError, match="format"):
        TextModel.load(other)
    older = tmp_path / "older.npz"
    meta = '{"format": "pingan-fraud-classifier/1", "features": "word-grams", "labels": ["loan", "normal"]}'
    np.savez(older, meta=np.array(meta), idf=np.zeros(1), coef=np.zeros((2, 1)), intercept=np.zeros(2))
    with pytest.raises(ModelFileError, match="train it again"):
        TextModel.load(older)
    # Serving falls back to the lexicon (intake must not fail over a model file); the CLI's strict load says why.
    classifier = FraudClassifier(older)
    assert classifier.classify(["刷单返利"])[0].source == "lexicon"
    with pytest.raises(ModelFileError):
        classifier.model(strict=True)


def test_hashed_counts_count_unigrams_and_bigrams_per_text() -> None:
    x = hashed_counts(["ab", "", "aaa"])
    assert x.shape[0] == 3
    assert x[0].sum() == 3  # a, b, ab
    assert x[1].sum() == 0
    assert x[2].sum() == 5  # a x3, aa x2
    assert sorted(x[2].data.tolist()) == [2.0, 3.0]


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_without_the_label_column_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="missing column 'label'") as caught:
        read_labelled(_csv(tmp_path, "text\n刷单返利\n"))
    assert caught.value.field == "label"
    with pytest.raises(BadInput, match="unknown column 'category'"):
        read_labelled(_csv(tmp_path, "text,label,category\n刷单,order_brushing,x\n"))


def test_rows_with_an_unknown_label_or_no_text_are_left_out_and_reported(tmp_path: Path) -> None:
    data = read_labelled(
        _csv(tmp_path, "text,label,source\n刷单,order_brushing,a\n,loan,b\n借钱,phishing,c\n贷款, LOAN ,d\n")
    )
    assert data.labels == [Label.ORDER_BRUSHING, Label.LOAN]
    assert [(line, field) for line, field, _ in data.rejected] == [(3, "text"), (4, "label")]
    assert "phishing" in data.rejected[1][2]


def test_training_needs_two_labels(tmp_path: Path) -> None:
    data = read_labelled(_csv(tmp_path, "text,label\n刷单,order_brushing\n返利,order_brushing\n"))
    with pytest.raises(BadInput, match="two labels"):
        train(data, now=NOW)


def test_scores_macro_f1_over_the_gold_labels() -> None:
    gold = [Label.LOAN, Label.LOAN, Label.NORMAL, Label.NORMAL]
    pred = [Label.LOAN, Label.NORMAL, Label.NORMAL, Label.GAMBLING]
    macro, accuracy, per = scores(gold, pred)
    assert accuracy == 0.5
    assert set(per) == {"loan", "normal"}
    assert per["loan"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert per["normal"]["precision"] == 0.5
    assert macro == pytest.approx((0.6667 + 0.5) / 2)
