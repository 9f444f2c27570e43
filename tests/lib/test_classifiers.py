"""lib.classifiers: logits shapes; extra pad columns leave the logits unchanged (float64, 1e-10)
and so does the rest of the batch; every parameter gets a gradient; BagOfEmbeddings against a
per-row Python mean, LSTMClassifier against a torch.nn.LSTM twin with copied weights,
GPTClassifier against TinyGPT.hidden on the row alone (and TinyGPT's head over hidden() against
its forward); the training loop and accuracy; the shipped pre-trained review model; bad input."""
import dataclasses

import pytest
import torch
import torch.nn.functional as F

from lib.classifiers import (BagOfEmbeddings, ClassifierConfig, GPTClassifier, LSTMClassifier, TransformerClassifier,
                             accuracy, check_batch, last_real, reviews_gpt, train_classifier)
from lib.data.sentiment import CLOSINGS, sentiment_corpus
from lib.gpt import TinyGPT
from lib.text import pad_batch
from lib.transformer import TransformerConfig

V = 13
SMALL = ClassifierConfig(vocab_size=V, n_embd=8, hidden=6)
TRANSFORMER = TransformerConfig(vocab_size=V, block_size=16, n_layer=2, n_head=2, n_embd=8)
KINDS = ["bag", "lstm", "transformer", "gpt"]


def make(kind, seed=0, device="cpu", dtype=torch.float64):
    torch.manual_seed(seed)
    model = {"bag": lambda: BagOfEmbeddings(SMALL), "lstm": lambda: LSTMClassifier(SMALL),
             "transformer": lambda: TransformerClassifier(TRANSFORMER, n_classes=3),
             "gpt": lambda: GPTClassifier(TinyGPT(TRANSFORMER))}[kind]()
    return model.to(device=device, dtype=dtype).eval()


def batch(gen, lengths, T=None, device="cpu"):
    """Random ids (B, T) with random ids (not only 0) in the pad columns too, and the mask."""
    T = T or max(lengths)
    ids = torch.randint(0, V, (len(lengths), T), generator=gen)
    mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]  # (B, T)
    return ids.to(device), mask.to(device)


def lengths(gen, B, T):
    return [int(n) for n in torch.randint(1, T + 1, (B,), generator=gen)]


@pytest.mark.parametrize("kind", KINDS)
def test_logits_have_one_row_per_sequence(kind, device, gen):
    model = make(kind, device=device, dtype=torch.float32)
    logits = model(*batch(gen, [3, 7, 1], device=device))
    assert logits.shape == (3, 3 if kind == "transformer" else 2)
    assert logits.device.type == device.type and logits.dtype == torch.float32


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(3))
def test_pad_columns_and_the_other_rows_do_not_change_the_logits(kind, seed, device):
    gen = torch.Generator().manual_seed(seed)
    model = make(kind, seed, device)
    sizes = lengths(gen, 5, 9)
    ids, mask = batch(gen, sizes, device=device)
    logits = model(ids, mask)
    wider_ids = torch.cat([ids, torch.randint(0, V, (5, 4), generator=gen).to(device)], dim=1)  # (B, T + 4)
    wider_mask = torch.cat([mask, torch.zeros(5, 4, dtype=torch.bool, device=device)], dim=1)
    torch.testing.assert_close(model(wider_ids, wider_mask), logits, rtol=0, atol=1e-10)
    for i, n in enumerate(sizes):
        alone = model(ids[i:i + 1, :n], mask[i:i + 1, :n])
        torch.testing.assert_close(alone[0], logits[i], rtol=0, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_every_parameter_gets_a_gradient(kind, device, gen):
    model = make(kind, device=device).train()
    ids, mask = batch(gen, [4, 9, 2, 16], device=device)
    F.cross_entropy(model(ids, mask), torch.tensor([0, 1, 1, 0], device=device)).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
def test_bag_of_embeddings_is_the_mlp_of_the_mean_embedding(dtype, tol, device, gen):
    model = make("bag", device=device, dtype=dtype)
    sizes = lengths(gen, 6, 10)
    ids, mask = batch(gen, sizes, device=device)
    means = torch.stack([model.tok_emb.weight[ids[i, :n]].sum(0) / n for i, n in enumerate(sizes)])  # (B, C)
    expected = model.head[2](torch.relu(model.head[0](means)))
    torch.testing.assert_close(model(ids, mask), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
@pytest.mark.parametrize("seed", range(3))
def test_lstm_classifier_equals_a_torch_lstm_twin(dtype, tol, seed, device):
    gen = torch.Generator().manual_seed(seed)
    model = make("lstm", seed, device, dtype)
    twin = torch.nn.LSTM(SMALL.n_embd, SMALL.hidden, batch_first=True).to(device=device, dtype=dtype)
    twin.load_state_dict(model.lstm.state_dict())
    sizes = lengths(gen, 7, 11)
    ids, mask = batch(gen, sizes, device=device)
    packed = torch.nn.utils.rnn.pack_padded_sequence(model.tok_emb(ids), torch.tensor(sizes), batch_first=True,
                                                     enforce_sorted=False)
    _, (h_n, _) = twin(packed)  # h_n (1, B, H): each row's state at its last real step
    torch.testing.assert_close(model(ids, mask), model.head(h_n[0]), rtol=tol, atol=tol)


def test_gpt_classifier_reads_the_hidden_state_at_the_last_real_token(device, gen):
    model = make("gpt", device=device)
    sizes = lengths(gen, 5, 12)
    ids, mask = batch(gen, sizes, device=device)
    expected = torch.stack([model.body.hidden(ids[i:i + 1, :n])[0, -1] for i, n in enumerate(sizes)])  # (B, C)
    torch.testing.assert_close(model(ids, mask), model.head(expected), rtol=0, atol=1e-10)
    assert GPTClassifier(model.body).body is model.body  # used, not copied: fine-tuning trains it
    torch.testing.assert_close(model.body.head(model.body.hidden(ids)), model.body(ids)[0], rtol=0, atol=0)


def test_last_real_picks_each_rows_last_real_position(gen):
    x = torch.randn(4, 6, 3, generator=gen)
    mask = torch.arange(6)[None, :] < torch.tensor([1, 6, 3, 2])[:, None]
    torch.testing.assert_close(last_real(x, mask), torch.stack([x[0, 0], x[1, 5], x[2, 2], x[3, 1]]))


@torch.no_grad()
def test_the_shipped_review_model_expects_the_closing_of_each_reviews_sentiment():
    """Without any label, the pre-trained model's next word after a review is more likely a
    closing of the review's sentiment ("five", "loved", ...) than of the other one."""
    body, vocab, results = reviews_gpt()
    assert not body.training and results["pretrain"]["config"] == dataclasses.asdict(body.config)
    reviews = sentiment_corpus(400, seed=12345)
    ids, mask = pad_batch([vocab.encode(tokens) for tokens, _ in reviews], vocab.pad_id)
    probs = body(ids)[0][torch.arange(400), mask.sum(dim=1) - 1].softmax(dim=-1)  # (N, V)
    mass = [probs[:, [vocab.stoi[c[0]] for c in CLOSINGS[label]]].sum(dim=1) for label in (0, 1)]
    right = ((mass[1] > mass[0]).long() == torch.tensor([label for _, label in reviews])).float().mean()
    assert right > 0.95


def separable(gen, n=64, T=6):
    """Rows whose label is whether token 1 occurs: any of the models can learn it."""
    ids, mask = batch(gen, lengths(gen, n, T), T)
    ids = ids % 6 + 2  # ids 2..7 in every column
    y = torch.randint(0, 2, (n,), generator=gen)
    ids[torch.arange(n), 0] = torch.where(y == 1, 1, ids[:, 0])
    return ids, mask, y


@pytest.mark.parametrize("kind", ["bag", "lstm"])
def test_training_is_reproducible_and_learns_a_separable_task(kind, gen):
    data = separable(gen)
    runs = []
    for _ in range(2):
        model = make(kind, dtype=torch.float32)
        runs.append(train_classifier(model, *data, epochs=30, lr=1e-2, batch_size=16,
                                     generator=torch.Generator().manual_seed(0)))
    assert runs[0] == runs[1] and len(runs[0]) == 30 * 4
    assert accuracy(model, *data) == 1.0 and model.training


def test_accuracy_counts_the_rows_whose_argmax_is_the_label(gen):
    model = make("bag")
    ids, mask = batch(gen, lengths(gen, 20, 5))
    predicted = model(ids, mask).argmax(dim=1)
    y = torch.where(torch.arange(20) < 7, predicted, 1 - predicted)
    assert accuracy(model, ids, mask, y, batch_size=6) == 7 / 20


@pytest.mark.parametrize("call, message", [
    (lambda m: m(torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.bool)), "ids"),
    (lambda m: m(torch.full((2, 3), V), torch.ones(2, 3, dtype=torch.bool)), "ids"),
    (lambda m: m(torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3)), "mask"),
    (lambda m: m(torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 4, dtype=torch.bool)), "mask"),
    (lambda m: m(torch.zeros(2, 3, dtype=torch.long), torch.tensor([[True, False, True]] * 2)), "mask"),
    (lambda m: m(torch.zeros(2, 3, dtype=torch.long), torch.tensor([[False] * 3, [True] * 3])), "mask"),
    (lambda m: accuracy(m, torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool),
                        torch.zeros(3, dtype=torch.long)), "y"),
    (lambda m: train_classifier(m, torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool),
                                torch.zeros(2, dtype=torch.long), epochs=0, lr=0.1), "epochs"),
])
@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_gets_a_clear_error(kind, call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call(make(kind, dtype=torch.float32))


@pytest.mark.parametrize("call, message", [
    (lambda: ClassifierConfig(vocab_size=0), "vocab_size"),
    (lambda: BagOfEmbeddings(TRANSFORMER), "config"),
    (lambda: TransformerClassifier(SMALL), "config"),
    (lambda: TransformerClassifier(TRANSFORMER)(torch.zeros(1, 17, dtype=torch.long),
                                                torch.ones(1, 17, dtype=torch.bool)), "block_size"),
    (lambda: GPTClassifier(make("lstm")), "body"),
    (lambda: last_real(torch.zeros(2, 3, 4), torch.ones(2, 4, dtype=torch.bool)), "mask"),
    (lambda: check_batch(torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool), 0), "ids"),
])
def test_bad_construction_gets_a_clear_error(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
