"""Bad input to every public function of lib gets a clear error that names the argument.

A table of bad calls: each must raise TypeError or ValueError (not a raw torch or Python error
from deep inside), and the message must name the argument that is wrong. A second test checks
that the table reaches every public function and class of lib, except those listed in EXEMPT
with the reason.
"""
import importlib
import inspect
import re

import pytest
import torch

from lib import activations, attention, autograd, conv, gpt, layers, lm, losses, memory, mlp, neuron, optim, train
from lib import device as dev, data, tokenizer, transformer
from lib import cnn, explain, vit
from lib import boxes, detect
from lib import bleu, lstm
from lib.data import corpus
from lib import seq2seq
from lib.data import numbers
from lib import classifiers  # chapter 07's data helper
from lib.data import sentiment
from lib import bpe, text

F32 = lambda *s: torch.randn(*s)  # noqa: E731
F64 = lambda *s: torch.randn(*s, dtype=torch.float64)  # noqa: E731
META = lambda *s: torch.empty(*s, device="meta")  # noqa: E731 (a second device on any machine)
I64 = lambda *s: torch.zeros(*s, dtype=torch.long)  # noqa: E731
P = lambda: [torch.zeros(2, requires_grad=True)]  # noqa: E731
CFG = dict(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8)


def tiny():
    return gpt.TinyGPT(transformer.TransformerConfig(**CFG))


def tiny_classifier():
    return classifiers.BagOfEmbeddings(classifiers.ClassifierConfig(5))


def tiny_seq2seq():
    return seq2seq.Seq2Seq(seq2seq.Seq2SeqConfig(5, 6, embd=4, hidden=8))


BAD = [
    ("sigmoid_grad list", lambda: activations.sigmoid_grad([1.0]), "x"),
    ("tanh str", lambda: activations.tanh("x"), "x"),
    ("tanh_grad int", lambda: activations.tanh_grad(torch.tensor([1])), "x"),
    ("relu int", lambda: activations.relu(torch.tensor([1])), "x"),
    ("gradcheck float32", lambda: autograd.gradcheck(lambda t: t.sum(), [F32(3)]), "inputs[0]"),
    ("to_device bad", lambda: dev.to_device(F32(2), "tpu"), "device"),
    ("draw_device generator", lambda: dev.draw_device(7, "cpu"), "generator"),
    ("Block config", lambda: transformer.Block(3), "config"),
    ("FeedForward config", lambda: transformer.FeedForward("cfg"), "config"),
    ("attention_maps idx", lambda: gpt.attention_maps(tiny(), torch.zeros(1, 3)), "idx"),
    ("relu_forward list", lambda: layers.relu_forward([1.0]), "x"),
    ("sigmoid_forward int", lambda: layers.sigmoid_forward(torch.tensor([1])), "x"),
    ("tanh_forward str", lambda: layers.tanh_forward("x"), "x"),
    ("sigmoid_backward shape", lambda: layers.sigmoid_backward(F32(2), F32(3)), "dout"),
    ("tanh_backward shape", lambda: layers.tanh_backward(F32(2), F32(3)), "dout"),
    ("mse_backward dout", lambda: layers.mse_backward(F32(3), F32(2)), "dout"),
    ("ce_forward labels", lambda: layers.softmax_cross_entropy_forward(F32(3, 2), torch.zeros(3)), "y"),
    ("ce_backward cache", lambda: layers.softmax_cross_entropy_backward(torch.tensor(1.0), None), "cache"),
    ("lm.evaluate block", lambda: lm.evaluate(tiny(), I64(50), 0), "block_size"),
    ("mae reduction", lambda: losses.mae(F32(3), F32(3), reduction="max"), "reduction"),
    ("MLP sizes", lambda: mlp.MLP([3]), "sizes"),
    ("mlp_backward y", lambda: mlp.mlp_backward(F32(2, 3), F32(3, 2), mlp.init_mlp([3, 2])), "y"),
    ("neuron_mse_grads y", lambda: neuron.neuron_mse_grads(F32(2, 3), F32(5), F32(3), F32(())), "y"),
    ("RMSprop alpha", lambda: optim.RMSprop(P(), alpha="0.9"), "alpha"),
    ("Adam eps", lambda: optim.Adam(P(), eps=-1.0), "eps"),
    ("AdamW weight_decay", lambda: optim.AdamW(P(), weight_decay=-0.1), "weight_decay"),
    ("LinearLR start", lambda: optim.LinearLR(optim.SGD(P()), start_factor=0.0), "start_factor"),
    ("LRScheduler optimizer", lambda: optim.StepLR("sgd", 2), "optimizer"),
    ("l2_penalty model", lambda: train.l2_penalty([F32(2, 2)]), "model"),
    ("train.evaluate model", lambda: train.evaluate("m", F32(2, 2), I64(2)), "model"),
    ("plot_history history", lambda: train.plot_history([0.5, 0.4]), "history"),
    ("Standardizer width", lambda: data.Standardizer().fit(F32(4, 2)).transform(F32(4, 3)), "x"),
    ("duplicate_rows 1-D", lambda: data.duplicate_rows(F32(4)), "x"),
    ("mislabel share", lambda: data.mislabel(I64(4), -0.1), "share"),
    ("mislabel float labels", lambda: data.mislabel(F32(4), 0.1), "y"),
    ("OneHotEncoder dtype", lambda: data.OneHotEncoder(torch.long), "dtype"),
    ("OneHotEncoder values", lambda: data.OneHotEncoder().fit("abc"), "values"),
    ("sigmoid list", lambda: activations.sigmoid([1.0]), "x"),
    ("sigmoid int", lambda: activations.sigmoid(torch.tensor([1])), "x"),
    ("relu_grad str", lambda: activations.relu_grad("a"), "x"),
    ("activation name", lambda: activations.get("swish"), "activation"),
    ("causal_mask T=0", lambda: attention.causal_mask(0), "T"),
    ("causal_mask S<T", lambda: attention.causal_mask(3, 2), "S"),
    ("padding_mask float", lambda: attention.padding_mask(torch.tensor([1.0]), 3), "lengths"),
    ("padding_mask too long", lambda: attention.padding_mask(torch.tensor([4]), 3), "lengths"),
    ("sample temperature", lambda: gpt.sample(F32(2, 5), temperature=-1.0), "temperature"),
    ("split_counts n", lambda: data.split_counts(-1, (0.5, 0.5)), "n"),
    ("sdpa q 1-D", lambda: attention.scaled_dot_product_attention(F32(4), F32(2, 4), F32(2, 4)), "q"),
    ("sdpa k width", lambda: attention.scaled_dot_product_attention(F32(3, 4), F32(2, 5), F32(2, 4)), "k"),
    ("sdpa devices", lambda: attention.scaled_dot_product_attention(F32(3, 4), META(2, 4), F32(2, 4)), "device"),
    ("sdpa dtypes", lambda: attention.scaled_dot_product_attention(F32(3, 4), F64(2, 4), F32(2, 4)), "dtype"),
    ("sdpa dropout", lambda: attention.scaled_dot_product_attention(F32(3, 4), F32(2, 4), F32(2, 4), dropout_p=1.5), "dropout_p"),
    ("sdpa mask shape", lambda: attention.scaled_dot_product_attention(F32(3, 4), F32(2, 4), F32(2, 4), mask=torch.ones(5, 5, dtype=torch.bool)), "mask"),
    ("tiled block", lambda: attention.tiled_attention(F32(3, 4), F32(2, 4), F32(2, 4), block_size=0), "block_size"),
    ("online shapes", lambda: attention.online_softmax_update(F32(3, 1), F32(3, 1), F32(3, 2), F32(3, 4), F32(5, 2)), "values"),
    ("split_heads not divisible", lambda: attention.split_heads(F32(1, 2, 6), 4), "n_head"),
    ("split_heads 2-D", lambda: attention.split_heads(F32(2, 6), 2), "x"),
    ("merge_heads 3-D", lambda: attention.merge_heads(F32(2, 6, 3)), "x"),
    ("sinusoidal odd C", lambda: attention.sinusoidal_positions(4, 5), "C"),
    ("rotate positions", lambda: attention.rotate(F32(1, 3, 4), torch.arange(5)), "positions"),
    ("KVCache n_layer", lambda: attention.KVCache(0), "n_layer"),
    ("MHA n_head", lambda: attention.MultiHeadAttention(6, 4), "n_head"),
    ("MHA input width", lambda: attention.MultiHeadAttention(8, 2)(F32(1, 3, 6)), "x"),
    ("Tensor from Tensor", lambda: autograd.Tensor(autograd.Tensor(1.0)), "data"),
    ("engine cross_entropy labels", lambda: autograd.cross_entropy(autograd.Tensor(F32(3, 2)), torch.tensor([0.0, 1, 1])), "y"),
    ("unbroadcast shape", lambda: autograd.unbroadcast(F32(3, 4), (5,)), "shape"),
    ("numerical_gradient inputs", lambda: autograd.numerical_gradient(lambda t: t.sum(), [[1.0, 2.0]]), "inputs"),
    ("get_device", lambda: dev.get_device("tpu"), "choice"),
    ("seed str", lambda: dev.seed("0"), "n"),
    ("TinyGPT config", lambda: gpt.TinyGPT({"vocab_size": 3}), "config"),
    ("config n_head", lambda: transformer.TransformerConfig(**{**CFG, "n_head": 3}), "n_head"),
    ("config positions", lambda: transformer.TransformerConfig(**{**CFG, "positions": "abs"}), "positions"),
    ("TinyGPT ids float", lambda: tiny()(torch.zeros(1, 3)), "idx"),
    ("TinyGPT too long", lambda: tiny()(I64(1, 9)), "idx"),
    ("filter top_k", lambda: gpt.filter_logits(F32(2, 5), top_k=0), "top_k"),
    ("filter top_p", lambda: gpt.filter_logits(F32(2, 5), top_p=1.5), "top_p"),
    ("generate max_new", lambda: gpt.generate(tiny(), I64(1, 2), -1), "max_new_tokens"),
    ("linear mixed dtypes", lambda: layers.linear_forward(F32(3, 4), F64(4, 2), F64(2)), "dtype"),
    ("linear W shape", lambda: layers.linear_forward(F32(3, 4), F32(5, 2), F32(2)), "W"),
    ("linear devices", lambda: layers.linear_forward(F32(3, 4), META(4, 2), F32(2)), "device"),
    ("linear_backward cache", lambda: layers.linear_backward(F32(3, 2), "cache"), "cache"),
    ("linear_backward dout shape", lambda: layers.linear_backward(F32(3, 5), (F32(3, 4), F32(4, 2))), "dout"),
    ("relu_backward dout shape", lambda: layers.relu_backward(F32(3), F32(4)), "dout"),
    ("mse_forward shapes", lambda: layers.mse_forward(F32(3), F32(4)), "target"),
    ("softmax_ce labels range", lambda: layers.softmax_cross_entropy(F32(3, 2), torch.tensor([0, 1, 2])), "y"),
    ("log_softmax 1-D int", lambda: layers.log_softmax(torch.tensor([1, 2])), "z"),
    ("random_windows block", lambda: lm.random_windows(I64(10), 10, 2), "block_size"),
    ("random_windows float ids", lambda: lm.random_windows(torch.zeros(10), 3, 2), "ids"),
    ("bigram alpha", lambda: lm.bigram_loss(I64(10), I64(10), 5, alpha=-1), "alpha"),
    ("Bigram vocab", lambda: lm.Bigram(0), "vocab_size"),
    ("perplexity str", lambda: lm.perplexity("2.0"), "loss"),
    ("lm.train steps", lambda: lm.train(tiny(), I64(50), 0, 4), "steps"),
    ("mse reduction", lambda: losses.mse(F32(3), F32(3), reduction="avg"), "reduction"),
    ("bce target shape", lambda: losses.binary_cross_entropy_with_logits(F32(3), F32(4)), "target"),
    ("cross_entropy y float", lambda: losses.cross_entropy(F32(3, 2), torch.zeros(3)), "y"),
    ("peak_bytes not callable", lambda: memory.peak_bytes(3), "fn"),
    ("count_params short", lambda: mlp.count_params([3]), "sizes"),
    ("count_params zero", lambda: mlp.count_params([3, 0, 2]), "sizes"),
    ("memory_bytes dtype", lambda: mlp.memory_bytes(10, dtype="float"), "dtype"),
    ("init_mlp sizes", lambda: mlp.init_mlp([3, -1]), "sizes"),
    ("mlp_forward params", lambda: mlp.mlp_forward(F32(2, 3), [(F32(4, 2), F32(2))]), "params"),
    ("mlp_forward activation", lambda: mlp.mlp_forward(F32(2, 3), mlp.init_mlp([3, 2]), activation="gelu"), "activation"),
    ("MLP dropout", lambda: mlp.MLP([3, 2], dropout=1.0), "dropout"),
    ("neuron_forward w shape", lambda: neuron.neuron_forward(F32(2, 3), F32(4), F32(())), "w"),
    ("neuron_step lr", lambda: neuron.neuron_step(F32(2, 3), F32(2), F32(3), F32(()), "0.1"), "lr"),
    ("SGD floats", lambda: optim.SGD([1.0, 2.0]), "params"),
    ("StepLR gamma str", lambda: optim.StepLR(optim.SGD(P()), 2, gamma="0.1"), "gamma"),
    ("StepLR gamma negative", lambda: optim.StepLR(optim.SGD(P()), 2, gamma=-0.5), "gamma"),
    ("Cosine eta_min str", lambda: optim.CosineAnnealingLR(optim.SGD(P()), 5, eta_min="0"), "eta_min"),
    ("warmup_cosine step", lambda: optim.warmup_cosine(-1, 0.1, 2, 10), "step"),
    ("EarlyStopping patience", lambda: train.EarlyStopping(patience=0), "patience"),
    ("accuracy_of_logits y", lambda: train.accuracy_of_logits(F32(3, 2), torch.zeros(3)), "y"),
    ("decay_groups model", lambda: train.decay_groups("model", 0.1), "model"),
    ("fit epochs", lambda: train.fit(torch.nn.Linear(2, 2), torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), 0.1), (F32(4, 2), I64(4)), epochs=0), "epochs"),
    ("fit train pair", lambda: train.fit(torch.nn.Linear(2, 2), torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), 0.1), F32(4, 2), epochs=1), "train"),
    ("add_noise std", lambda: data.add_noise(F32(3, 2), -1.0), "std"),
    ("shift_images 2-D", lambda: data.shift_images(F32(3, 2)), "images"),
    ("batches sizes", lambda: list(data.batches(F32(4, 2), I64(5), 2)), "y"),
    ("minibatch n", lambda: data.minibatch_indices(0, 2), "n"),
    ("load name", lambda: data.load("mnist"), "name"),
    ("logic_gate", lambda: data.logic_gate("nand3"), "name"),
    ("spirals noise", lambda: data.spirals(noise=-0.1), "noise"),
    ("check_config", lambda: transformer.check_config({"n_embd": 8}), "config"),
    ("moons n", lambda: data.moons(n_per_class=0), "n_per_class"),
    ("two_blobs std", lambda: data.two_blobs(std=-1.0), "std"),
    ("noisy_line range", lambda: data.noisy_line(low=1.0, high=0.0), "high"),
    ("Clipper q", lambda: data.Clipper(q=0.7), "q"),
    ("MedianImputer 1-D", lambda: data.MedianImputer().fit(F32(5)), "x"),
    ("nan_median int", lambda: data.nan_median(I64(3, 2)), "x"),
    ("dirty_copy missing", lambda: data.dirty_copy(F32(20, 3), I64(20), missing=1.5), "missing"),
    ("kfold k", lambda: data.kfold_indices(5, 6), "k"),
    ("split_counts fractions", lambda: data.split_counts(10, (0.5, 0.6)), "fractions"),
    ("stratified y float", lambda: data.stratified_split(torch.zeros(10)), "y"),
    ("CharTokenizer chars", lambda: tokenizer.CharTokenizer(42), "chars"),
    ("tokenizer unknown", lambda: tokenizer.CharTokenizer("ab").encode("abc"), "text"),
    ("tokenizer decode range", lambda: tokenizer.CharTokenizer("ab").decode([0, 5]), "ids"),
    ("prose_split fraction", lambda: corpus.prose_split(1.5), "val_fraction"),
    # lib.cnn, lib.vit, lib.explain (chapter 06)
    ("CNNConfig channels list", lambda: cnn.CNNConfig(channels=[32]), "channels"),
    ("CNNConfig pool_after", lambda: cnn.CNNConfig(pool_after=(3,)), "pool_after"),
    ("CNNConfig image too small", lambda: cnn.CNNConfig(image_size=2), "image_size"),
    ("CNN config", lambda: cnn.CNN({"channels": (32,)}), "config"),
    ("CNN flat digits", lambda: cnn.CNN(cnn.CNNConfig())(F32(2, 64)), "x"),
    ("check_images channels", lambda: cnn.check_images(F32(2, 3, 8, 8), cnn.CNNConfig()), "x"),
    ("ViTConfig not divisible", lambda: vit.ViTConfig(image_size=9), "patch_size"),
    ("ViTConfig positions", lambda: vit.ViTConfig(positions="rotary"), "positions"),
    ("PatchEmbedding patch_size", lambda: vit.PatchEmbedding(1, 8, 0), "patch_size"),
    ("PatchEmbedding input", lambda: vit.PatchEmbedding(1, 8, 2)(F32(2, 1, 5, 6)), "x"),
    ("ViT config", lambda: vit.ViT("cfg"), "config"),
    ("ViT input size", lambda: vit.ViT(vit.ViTConfig())(F32(2, 1, 6, 6)), "x"),
    ("count_parameters config", lambda: vit.count_parameters(cnn.CNNConfig()), "config"),
    ("config_for_budget n_params", lambda: vit.config_for_budget(-5), "n_params"),
    ("config_for_budget sizes", lambda: vit.config_for_budget(1000, width=3), "sizes"),
    ("saliency model", lambda: explain.saliency("model", F32(2, 1, 8, 8), 0), "model"),
    ("saliency target", lambda: explain.saliency(cnn.CNN(cnn.CNNConfig()), F32(2, 1, 8, 8), 10), "target"),
    ("class_activation_map layer", lambda: explain.class_activation_map(cnn.CNN(cnn.CNNConfig()), F32(2, 1, 8, 8), 0, 2), "layer"),
    ("class_activation_map x", lambda: explain.class_activation_map(cnn.CNN(cnn.CNNConfig()), F32(1, 8, 8), 0, 0), "x"),
    # lib.conv
    ("conv_output_size padding", lambda: conv.conv_output_size(5, 3, padding=-1), "padding"),
    ("im2col stride", lambda: conv.im2col(F32(1, 1, 4, 4), 2, stride=0), "stride"),
    ("col2im cols", lambda: conv.col2im(F32(1, 4, 3), (4, 4), 2), "cols"),
    ("conv2d weight channels", lambda: conv.conv2d(F32(1, 3, 4, 4), F32(2, 2, 3, 3)), "weight"),
    ("conv2d kernel too large", lambda: conv.conv2d(F32(1, 1, 2, 2), F32(1, 1, 3, 3)), "kernel_size"),
    ("max_pool2d x", lambda: conv.max_pool2d(F32(4, 4), 2), "x"),
    ("avg_pool2d padding", lambda: conv.avg_pool2d(F32(1, 1, 4, 4), 2, padding=2), "padding"),
    ("Conv2d kernel_size", lambda: conv.Conv2d(1, 2, 0), "kernel_size"),
    ("MaxPool2d stride", lambda: conv.MaxPool2d(2, stride=-1), "stride"),
    ("AvgPool2d kernel_size", lambda: conv.AvgPool2d((2, 2, 2)), "kernel_size"),
    # lib.boxes, lib.data.shapes, lib.detect
    ("check_boxes shape", lambda: boxes.check_boxes(F32(3, 5), "boxes"), "boxes"),
    ("box_area x2 < x1", lambda: boxes.box_area(torch.tensor([[2.0, 0.0, 1.0, 1.0]])), "boxes"),
    ("box_iou nan", lambda: boxes.box_iou(F32(0, 4), torch.tensor([[0.0, 0.0, float("nan"), 1.0]])), "b"),
    ("box_iou dtypes", lambda: boxes.box_iou(F32(0, 4), F64(0, 4)), "dtype"),
    ("nms scores length", lambda: boxes.nms(F32(0, 4), F32(2), 0.5), "scores"),
    ("nms threshold", lambda: boxes.nms(F32(0, 4), F32(0), 1.5), "iou_threshold"),
    ("window_boxes too large", lambda: boxes.window_boxes(4, 6, 5), "window"),
    ("shape_images max_side", lambda: data.shape_images(2, size=8, max_side=12), "max_side"),
    ("shape_images kinds", lambda: data.shape_images(2, kinds=("circle",)), "kinds"),
    ("shape_images noise", lambda: data.shape_images(2, noise=-0.1), "noise"),
    ("shape_windows lists", lambda: data.shape_windows(F32(2, 1, 16, 16), [F32(0, 4)], [I64(0)]), "boxes"),
    ("shape_windows negative_iou", lambda: data.shape_windows(F32(1, 1, 16, 16), [F32(0, 4)], [I64(0)], negative_iou=0.7), "negative_iou"),
    ("sliding_windows image", lambda: detect.sliding_windows(F32(8, 8), 4), "image"),
    ("candidates model", lambda: detect.candidates(3, F32(1, 8, 8), 4, 1), "model"),
    ("candidates threshold", lambda: detect.candidates(lambda w: F32(len(w), 2), F32(1, 8, 8), 4, 1, -0.5), "score_threshold"),
    ("detect iou_threshold", lambda: detect.detect(lambda w: F32(len(w), 2), F32(1, 8, 8), 4, 1, iou_threshold=2.0), "iou_threshold"),
    ("match pred_scores", lambda: detect.match(F32(0, 4), F32(1), F32(0, 4)), "pred_scores"),
    ("match true_boxes", lambda: detect.match(F32(0, 4), F32(0), F32(2, 3)), "true_boxes"),
    ("precision_recall str", lambda: detect.precision_recall("matches"), "matches"),
    # lib.lstm, lib.bleu (chapter 07)
    ("lstm_cell state", lambda: lstm.lstm_cell(F32(2, 3), F32(2, 4), F32(16, 3), F32(16, 4)), "state"),
    ("lstm_cell weight_hh", lambda: lstm.lstm_cell(F32(2, 3), (F32(2, 4), F32(2, 4)), F32(16, 3), F32(12, 4)), "weight_hh"),
    ("lstm_cell x width", lambda: lstm.lstm_cell(F32(2, 5), (F32(2, 4), F32(2, 4)), F32(16, 3), F32(16, 4)), "x"),
    ("lstm_cell dtypes", lambda: lstm.lstm_cell(F64(2, 3), (F64(2, 4), F64(2, 4)), F32(16, 3), F32(16, 4)), "dtype"),
    ("LSTMCell hidden_size", lambda: lstm.LSTMCell(3, 0), "hidden_size"),
    ("LSTMCell x dtype", lambda: lstm.LSTMCell(3, 4)(F64(2, 3)), "x"),
    ("LSTM num_layers", lambda: lstm.LSTM(3, 4, num_layers=0), "num_layers"),
    ("LSTM dropout", lambda: lstm.LSTM(3, 4, 2, dropout=1.5), "dropout"),
    ("LSTM batch_first", lambda: lstm.LSTM(3, 4, batch_first="yes"), "batch_first"),
    ("LSTM x 2-D", lambda: lstm.LSTM(3, 4)(F32(5, 3)), "x"),
    ("LSTM state layers", lambda: lstm.LSTM(3, 4, 2)(F32(2, 5, 3), (F32(1, 2, 4), F32(1, 2, 4))), "state h"),
    ("ngram_counts str", lambda: bleu.ngram_counts("a b", 2), "tokens"),
    ("bleu_stats no references", lambda: bleu.bleu_stats(["a"], []), "references"),
    ("BLEUStats totals", lambda: bleu.BLEUStats(1, 1, (1, 0), (1,)), "totals"),
    ("brevity_penalty negative", lambda: bleu.brevity_penalty(-1, 3), "hyp_len"),
    ("bleu_from_stats smooth", lambda: bleu.bleu_from_stats(bleu.BLEUStats(1, 1, (1,), (1,)), smooth="add"), "smooth"),
    ("corpus_bleu lengths", lambda: bleu.corpus_bleu([["a"], ["b"]], [[["a"]]]), "references"),
    ("corpus_bleu strings", lambda: bleu.corpus_bleu(["a b"], [[["a"]]]), "hypothesis"),
    ("sentence_bleu max_n", lambda: bleu.sentence_bleu(["a"], [["a"]], max_n=0), "max_n"),
    # lib.seq2seq, lib.data.numbers (chapter 07)
    ("Seq2SeqConfig hidden", lambda: seq2seq.Seq2SeqConfig(5, 6, hidden=0), "hidden"),
    ("Seq2SeqConfig dropout", lambda: seq2seq.Seq2SeqConfig(5, 6, dropout=1.0), "dropout"),
    ("Seq2Seq config", lambda: seq2seq.Seq2Seq({"src_vocab": 5}), "config"),
    ("Seq2Seq src ids", lambda: tiny_seq2seq()(I64(2, 3) + 5, torch.ones(2, 3, dtype=torch.bool), I64(2, 2)), "src"),
    ("Seq2Seq tgt_in batch", lambda: tiny_seq2seq()(I64(2, 3), torch.ones(2, 3, dtype=torch.bool), I64(3, 2)), "tgt_in"),
    ("check_mask left padding", lambda: seq2seq.check_mask(torch.tensor([[False, True]]), "src_mask", (1, 2), "cpu"), "src_mask"),
    ("check_vocab list", lambda: seq2seq.check_vocab(["a"], "tgt_vocab"), "tgt_vocab"),
    ("attention_step memory", lambda: seq2seq.attention_step(F32(2, 4), F32(2, 3, 5), torch.ones(2, 3, dtype=torch.bool)), "memory"),
    ("attention_step mask float", lambda: seq2seq.attention_step(F32(2, 4), F32(2, 3, 4), torch.ones(2, 3)), "mask"),
    ("greedy_decode max_len", lambda: seq2seq.greedy_decode(tiny_seq2seq(), I64(1, 2), torch.ones(1, 2, dtype=torch.bool), 2, 3, 0), "max_len"),
    ("greedy_decode eos_id", lambda: seq2seq.greedy_decode(tiny_seq2seq(), I64(1, 2), torch.ones(1, 2, dtype=torch.bool), 2, 6, 4), "eos_id"),
    ("beam_search step", lambda: seq2seq.beam_search("step", I64(1), 0, 1, 2, 3), "step"),
    ("beam_search alpha", lambda: seq2seq.beam_search(lambda t, s: (F32(1, 3), s), I64(1), 0, 1, 2, 3, alpha=-1.0), "alpha"),
    ("beam_search start_state", lambda: seq2seq.beam_search(lambda t, s: (F32(1, 3), s), [], 0, 1, 2, 3), "start_state"),
    ("beam_search step output", lambda: seq2seq.beam_search(lambda t, s: (F32(2, 3), s), I64(1), 0, 1, 2, 3), "log_probs"),
    ("model_step memory", lambda: seq2seq.model_step(tiny_seq2seq(), F32(2, 3, 8), torch.ones(2, 3, dtype=torch.bool)), "memory"),
    ("batch_pairs empty target", lambda: seq2seq.batch_pairs([(["one"], [])], None, None), "pairs"),
    ("translate src_tokens", lambda: seq2seq.translate(tiny_seq2seq(), None, None, []), "src_tokens"),
    ("english 10000", lambda: numbers.english(10000), "n"),
    ("chinese float", lambda: numbers.chinese(5.0), "n"),
    ("number_split seed", lambda: numbers.number_split(99, seed=None), "seed"),
    ("pairs int", lambda: numbers.pairs(7), "numbers"),
    # lib.text, lib.bpe (chapter 07's tokens)
    ("clean bytes", lambda: text.clean(b"abc"), "text"),
    ("words int", lambda: text.words(3), "text"),
    ("Vocab itos repeated", lambda: text.Vocab(["a", "a"]), "itos"),
    ("Vocab.build str", lambda: text.Vocab.build("abc"), "token_lists"),
    ("Vocab.build min_count", lambda: text.Vocab.build([["a"]], min_count=0), "min_count"),
    ("Vocab.build specials", lambda: text.Vocab.build([["a"]], specials=("<pad>", "<pad>")), "specials"),
    ("Vocab encode str", lambda: text.Vocab.build([["a"]]).encode("a"), "tokens"),
    ("Vocab decode range", lambda: text.Vocab.build([["a"]]).decode([9]), "ids"),
    ("pad_batch empty", lambda: text.pad_batch([], 0), "seqs"),
    ("pad_batch empty sequence", lambda: text.pad_batch([[1], []], 0), "seqs[1]"),
    ("pad_batch float tensor", lambda: text.pad_batch([F32(3)], 0), "seqs[0]"),
    ("pad_batch pad_id", lambda: text.pad_batch([[1]], -1), "pad_id"),
    ("pad_batch devices", lambda: text.pad_batch([I64(2), I64(2).to("meta")], 0), "device"),
    ("masked_mean x 2-D", lambda: text.masked_mean(F32(2, 3), torch.ones(2, 3, dtype=torch.bool)), "x"),
    ("masked_mean mask float", lambda: text.masked_mean(F32(2, 3, 4), F32(2, 3)), "mask"),
    ("masked_mean mask devices", lambda: text.masked_mean(F32(2, 3, 4), torch.ones(2, 3, dtype=torch.bool, device="meta")), "device"),
    ("get_stats str", lambda: bpe.get_stats("abc"), "ids"),
    ("get_stats counts", lambda: bpe.get_stats([1, 2], counts=[]), "counts"),
    ("merge pair", lambda: bpe.merge([1, 2], [1, 2], 3), "pair"),
    ("merge idx", lambda: bpe.merge([1, 2], (1, 2), -1), "idx"),
    ("chunks bytes", lambda: bpe.chunks(b"ab"), "text"),
    ("chunks special_tokens", lambda: bpe.chunks("ab", special_tokens=[""]), "special_tokens"),
    ("BPETokenizer merge_log", lambda: bpe.BPETokenizer([((1, 2), 300, 1)]), "merge_log[0]"),
    ("BPETokenizer.train vocab_size", lambda: bpe.BPETokenizer.train("ab", 100), "vocab_size"),
    ("BPETokenizer.train surrogate", lambda: bpe.BPETokenizer.train("a\ud800", 300), "text"),
    ("BPETokenizer encode bytes", lambda: bpe.BPETokenizer([]).encode(b"x"), "text"),
    ("BPETokenizer decode unknown", lambda: bpe.BPETokenizer([]).decode([256]), "ids"),
    ("BPETokenizer decode float tensor", lambda: bpe.BPETokenizer([]).decode(F32(2)), "ids"),
    # lib.classifiers and lib.data.sentiment (chapter 07's data helper)
    ("ClassifierConfig hidden", lambda: classifiers.ClassifierConfig(5, hidden=0), "hidden"),
    ("check_batch mask gap", lambda: classifiers.check_batch(I64(1, 3), torch.tensor([[True, False, True]]), 5), "mask"),
    ("last_real x 2-D", lambda: classifiers.last_real(F32(2, 3), torch.ones(2, 3, dtype=torch.bool)), "x"),
    ("BagOfEmbeddings config", lambda: classifiers.BagOfEmbeddings(CFG), "config"),
    ("LSTMClassifier ids float", lambda: classifiers.LSTMClassifier(classifiers.ClassifierConfig(5))(F32(1, 2), torch.ones(1, 2, dtype=torch.bool)), "ids"),
    ("TransformerClassifier n_classes", lambda: classifiers.TransformerClassifier(transformer.TransformerConfig(**CFG), n_classes=0), "n_classes"),
    ("GPTClassifier body", lambda: classifiers.GPTClassifier(transformer.TransformerConfig(**CFG)), "body"),
    ("accuracy model", lambda: classifiers.accuracy("m", I64(1, 2), torch.ones(1, 2, dtype=torch.bool), I64(1)), "model"),
    ("train_classifier lr", lambda: classifiers.train_classifier(tiny_classifier(), I64(1, 2), torch.ones(1, 2, dtype=torch.bool), I64(1), 1, lr=-1.0), "lr"),
    ("sentiment_corpus odd n", lambda: sentiment.sentiment_corpus(3), "n"),
    ("pair_split examples", lambda: sentiment.pair_split((("a",), 1)), "examples"),
    ("review_stream seed", lambda: sentiment.review_stream(2, seed="1"), "seed"),
]

# Public names the table does not call, and why (lib.metrics' bad input: tests/lib/test_metrics.py).
EXEMPT = {
    "device.available_devices": "takes no arguments",
    "data.corpus.prose": "takes no arguments",
    "data.corpus.checksum": "takes no arguments",
    "attention.LayerCache": "takes no arguments",
    "pretrained.tinygpt": "takes no arguments",
    "pretrained.results": "takes no arguments",
    "pretrained.ladder": "takes no arguments",
    "train.History": "a record that fit() returns, not built by users",
    "data.bundled.Dataset": "a record that load() returns, not built by users",
    "detect.Matches": "a record that match() returns, not built by users",
    "bleu.BLEUScore": "a record that the BLEU functions return, not built by users",
    "seq2seq.Hypothesis": "a record that beam_search returns, not built by users",
    "seq2seq.Translation": "a record that translate returns, not built by users",
    "classifiers.reviews_gpt": "takes no arguments",
    "optim.Optimizer": "a base class; its checks run through SGD, RMSprop, Adam and AdamW above",
    "optim.LRScheduler": "a base class; its checks run through StepLR, CosineAnnealingLR and LinearLR above",
}
MODULES = ["activations", "attention", "autograd", "conv", "device", "gpt", "layers", "lm", "losses", "memory", "mlp",
           "neuron", "optim", "pretrained", "tokenizer", "train", "transformer", "data.augment", "data.batches",
           "data.bundled", "data.generated", "data.preprocess", "data.splits", "data.corpus", "cnn", "explain", "vit",
           "boxes", "detect", "data.shapes", "lstm", "bleu"]
MODULES += ["seq2seq", "data.numbers"]  # chapter 07's seq2seq helper
MODULES += ["text", "bpe"]  # chapter 07's tokens helper
MODULES += ["classifiers", "data.sentiment"]  # chapter 07's data helper
ALIASES = {"device": "dev", "data.corpus": "corpus", "data.numbers": "numbers"}
ALIASES["data.sentiment"] = "sentiment"  # chapter 07's data helper


@pytest.mark.parametrize("call, arg", [(c, a) for _, c, a in BAD], ids=[name for name, _, _ in BAD])
def test_bad_input_gets_an_error_naming_the_argument(call, arg):
    with pytest.raises((TypeError, ValueError)) as raised:
        call()
    assert re.search(rf"(?<![\w.]){re.escape(arg)}(?!\w)", str(raised.value)), str(raised.value)


def test_the_table_reaches_every_public_function_of_lib():
    table = inspect.getsource(inspect.getmodule(test_bad_input_gets_an_error_naming_the_argument))
    missing = []
    for name in MODULES:
        module = importlib.import_module(f"lib.{name}")
        alias = ALIASES.get(name, name.split(".")[0])
        for attr, obj in vars(module).items():
            if attr.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if obj.__module__ != module.__name__ or f"{name}.{attr}" in EXEMPT:
                continue
            if not re.search(rf"\b{re.escape(alias)}\.{attr}\b", table):
                missing.append(f"lib.{name}.{attr}")
    assert not missing, f"no bad call in the table for: {', '.join(missing)}"
