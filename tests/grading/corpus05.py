"""Chapter 05 submissions for the batch test (see corpus.py): honest ones, and hostile ones that
are specific to attention: answers that reach the operation an exercise asks the student to
write through another name (an alias, torch's C binding, a computed attribute name, the lib
version, torch's own oracle) or through the grader's own reference code in lib.exercises, and
results or resources that an attention answer can abuse.

CHEATS are the answers that would be right if calling was allowed: test_corpus checks that each
one gives the reference result when nobody watches, so its zero in the batch is the rule's doing.
Chapter-independent hostility (tampering, forged records, crashes) is in corpus01.py.
"""
from tests.grading.conftest import notebooks, solved
from tests.grading.corpus import Batch

CHAPTER = "05_attention"
NO_SQRT = """
def attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
"""
WRONG = {
    "ch05_attention": NO_SQRT,
    "ch05_causal_mask": "def causal_mask(T, S):\n    return torch.ones(T, S, dtype=torch.bool).triu(diagonal=S - T)\n",
    "ch05_split_heads": ("def split_heads(x, n_head):\n    B, T, C = x.shape\n    return x.reshape(B, n_head, T, C // n_head)\n"
                         "\n\ndef merge_heads(x):\n    B, H, T, hs = x.shape\n    return x.transpose(1, 2).reshape(B, T, H * hs)\n"),
    "ch05_sinusoidal": "def sinusoidal_positions(T, C):\n    return torch.zeros(T, C)\n",
    "ch05_top_k_top_p": "def filter_logits(logits, top_k=None, top_p=None):\n    return logits\n",
    "ch05_kv_decode": ("def decode_step(q, k_new, v_new, k_cache, v_cache):\n"
                       "    return attention(q, k_cache, v_cache), k_cache, v_cache\n"),
    "ch05_online_softmax": ("def online_softmax_update(m, l, acc, scores, values):\n"
                            "    p = torch.exp(scores)\n    return torch.maximum(m, scores.amax(-1, keepdim=True)), "
                            "l + p.sum(-1, keepdim=True), acc + p @ values\n"),
}
BATCH = Batch(CHAPTER, {"ch05_attention": 3, "ch05_causal_mask": 2, "ch05_split_heads": 2, "ch05_mha_forward": 3,
                        "ch05_sinusoidal": 2, "ch05_top_k_top_p": 3, "ch05_kv_decode": 3,
                        "ch05_online_softmax": 3}, WRONG)

CHEATS = {
    "sdpa_renamed": ("ch05_attention", """
from torch.nn.functional import scaled_dot_product_attention as blend

def attention(q, k, v, mask=None):
    return blend(q, k, v, attn_mask=mask)
"""),
    "sdpa_through_the_c_binding": ("ch05_attention", """
def attention(q, k, v, mask=None):
    return torch._C._nn.scaled_dot_product_attention(q, k, v, attn_mask=mask)
"""),
    "sdpa_by_computed_name": ("ch05_attention", """
def attention(q, k, v, mask=None):
    return getattr(F, "scaled_dot_" + "product_attention")(q, k, v, attn_mask=mask)
"""),
    "attention_from_lib_imported_late": ("ch05_attention", """
import importlib

def attention(q, k, v, mask=None):
    return importlib.import_module("lib.attention").scaled_dot_product_attention(q, k, v, mask)
"""),
    "causal_from_torch_oracle": ("ch05_causal_mask", """
from torch.nn.attention.bias import causal_lower_right

def causal_mask(T, S):
    return causal_lower_right(T, S)._materialize()
"""),
    "causal_from_the_graders_reference": ("ch05_causal_mask", """
from lib import exercises

def causal_mask(T, S):
    return exercises.get("ch05_causal_mask").expected(T, S)
"""),
    "heads_from_lib": ("ch05_split_heads", """
from lib.attention import merge_heads, split_heads
"""),
    "heads_from_the_graders_reference": ("ch05_split_heads", """
from lib.exercises import ch05

def split_heads(x, n_head):
    return ch05._heads_expected(x, n_head, x[:, None])[0]

def merge_heads(x):
    return ch05._heads_expected(x[:, 0], 1, x)[1]
"""),
    "mha_from_the_graders_reference": ("ch05_mha_forward", """
from lib.exercises.ch05 import _mha_expected as mha_forward
"""),
    "sinusoid_from_the_graders_reference": ("ch05_sinusoidal", """
from lib.exercises.ch05 import _sinusoid_expected

def sinusoidal_positions(T, C):
    return _sinusoid_expected(T, C)
"""),
    "filter_from_lib": ("ch05_top_k_top_p", """
def filter_logits(logits, top_k=None, top_p=None):
    return gpt.filter_logits(logits, top_k, top_p)
"""),
    "filter_from_the_graders_helper": ("ch05_top_k_top_p", """
from lib.exercises.ch05 import kept_indices

def filter_logits(logits, top_k=None, top_p=None):
    out = torch.full_like(logits, float("-inf"))
    for r, row in enumerate(logits.tolist()):
        kept = kept_indices(row, top_k, top_p)
        out[r, kept] = logits[r, kept]
    return out
"""),
    "decode_from_the_lib_cache": ("ch05_kv_decode", """
from lib.attention import LayerCache

def decode_step(q, k_new, v_new, k_cache, v_cache):
    cache = LayerCache()
    cache.keep(k_cache, v_cache)
    k, v = cache.joined(k_new, v_new)
    return attention(q, k, v), k, v
"""),
    "online_from_lib": ("ch05_online_softmax", """
from lib.attention import online_softmax_update
"""),
    "online_by_torch_special_softmax": ("ch05_online_softmax", """
def online_softmax_update(m, l, acc, scores, values):
    m_new = torch.maximum(m, scores.amax(dim=-1, keepdim=True))
    scale = torch.nan_to_num(torch.exp(m - m_new))
    mass = torch.nan_to_num(torch.exp(torch.logsumexp(scores, dim=-1, keepdim=True) - m_new))
    p = torch.nan_to_num(torch.special.softmax(scores, dim=-1)) * mass
    return m_new, l * scale + mass, acc * scale + p @ values
"""),
    "online_by_log_softmax_exp": ("ch05_online_softmax", """
def online_softmax_update(m, l, acc, scores, values):
    m_new = torch.maximum(m, scores.amax(dim=-1, keepdim=True))
    scale = torch.nan_to_num(torch.exp(m - m_new))
    mass = torch.nan_to_num(torch.exp(torch.logsumexp(scores, dim=-1, keepdim=True) - m_new))
    p = torch.nan_to_num(scores.log_softmax(dim=-1).exp()) * mass
    return m_new, l * scale + mass, acc * scale + p @ values
"""),
    "sdpa_through_the_operator_registry": ("ch05_attention", """
def attention(q, k, v, mask=None):
    return torch.ops.aten.scaled_dot_product_attention(q, k, v, attn_mask=mask)
"""),
}
NAMED = {
    "online_by_torch_special_softmax": ("ch05_online_softmax", "your answer calls aten._softmax"),
    "online_by_log_softmax_exp": ("ch05_online_softmax", "your answer calls aten._log_softmax"),
    "sdpa_through_the_operator_registry": ("ch05_attention", "`.ops` reaches torch's operators"),
    "sdpa_renamed": ("ch05_attention", "torch.nn.functional.scaled_dot_product_attention"),
    "sdpa_through_the_c_binding": ("ch05_attention", "`._C` is a private attribute"),
    "causal_from_torch_oracle": ("ch05_causal_mask", "`._materialize` is a private attribute"),
    "causal_from_the_graders_reference": ("ch05_causal_mask", "imports lib.exercises"),
    "heads_from_lib": ("ch05_split_heads", "lib.attention.split_heads"),
    "mha_from_the_graders_reference": ("ch05_mha_forward", "imports lib.exercises.ch05"),
    "filter_from_the_graders_helper": ("ch05_top_k_top_p", "imports lib.exercises.ch05"),
    "decode_from_the_lib_cache": ("ch05_kv_decode", "lib.attention.LayerCache.joined"),
    "forged_bool_mask": ("ch05_causal_mask", "not plain data"),
    "never_decodes": ("ch05_kv_decode", "time limit"),
}
STOPPED = {"honest_solved": "graded", "never_decodes": "graded"}

FORGED_MASK = """
class Always(torch.Tensor):
    def __eq__(self, other):
        return True

def causal_mask(T, S):
    return torch.zeros(T, S, dtype=torch.bool).as_subclass(Always)
"""
LAZY_FILTER = """
def filter_logits(logits, top_k=None, top_p=None):
    return (row for row in logits)
"""
HUGE_SCORES = """
def attention(q, k, v, mask=None):
    scores = torch.empty(2 ** 17, 2 ** 17)  # 64 GiB, far past the sandbox's memory limit
    return scores[: q.shape[-2], : k.shape[-2]].softmax(-1) @ v
"""
NEVER_DECODES = """
def decode_step(q, k_new, v_new, k_cache, v_cache):
    while True:
        k_cache = torch.cat([k_cache, k_new], dim=2)[:, :, 1:]
"""
ALTERNATIVES = {
    "ch05_attention": """
def attention(q, k, v, mask=None):
    scores = torch.einsum("...td,...sd->...ts", q, k) * q.shape[-1] ** -0.5
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(float("-inf"), dtype=scores.dtype))
    return F.softmax(scores, dim=-1) @ v
""",
    "ch05_causal_mask": """
print(lib.attention.causal_mask(2, 3))  # looking at the lib version outside the answer is allowed

def causal_mask(T, S):
    return torch.arange(S)[None, :] <= torch.arange(S - T, S)[:, None]
""",
    "ch05_split_heads": """
def split_heads(x, n_head):
    return torch.stack(x.chunk(n_head, dim=-1), dim=1)

def merge_heads(x):
    return torch.cat(x.unbind(dim=1), dim=-1)
""",
    "ch05_sinusoidal": """
def sinusoidal_positions(T, C):
    table = [[0.0] * C for _ in range(T)]
    for p in range(T):
        for i in range(0, C, 2):
            angle = p / 10000 ** (i / C)
            table[p][i], table[p][i + 1] = math.sin(angle), math.cos(angle)
    return torch.tensor(table, dtype=torch.float32)
""",
}


def corpus(root):
    """{student: (file name, content, expected scores, honest?)}; `root` is the course root."""
    name, release = BATCH.name, notebooks(CHAPTER)[0]
    honest = {
        "honest_solved": (name, solved(CHAPTER), BATCH.scores()),
        "honest_untouched": (name, release, BATCH.scores(*BATCH.points)),
        "honest_partial": (name, BATCH.with_answers(ch05_attention=NO_SQRT), BATCH.scores("ch05_attention")),
        "honest_other_routes": (name, BATCH.with_answers(**ALTERNATIVES), BATCH.scores()),
    }
    bad = {student: BATCH.hostile(gid, "", source) for student, (gid, source) in CHEATS.items()}
    bad.update({
        "forged_bool_mask": BATCH.hostile("ch05_causal_mask", "", FORGED_MASK),
        "lazy_result": BATCH.hostile("ch05_top_k_top_p", "", LAZY_FILTER),
        "huge_score_matrix": BATCH.hostile("ch05_attention", "", HUGE_SCORES),
        "never_decodes": BATCH.hostile("ch05_kv_decode", "", NEVER_DECODES),
        "forbidden_registry_replaced": BATCH.hostile("ch05_attention", (
            "import dataclasses\nfrom lib import exercises\n"
            "for gid, e in list(exercises.EXERCISES.items()):\n"
            "    exercises.EXERCISES[gid] = dataclasses.replace(e, forbidden=())"), CHEATS["sdpa_renamed"][1]),
    })
    failed = {student: [gid] for student, (gid, _) in CHEATS.items()}
    failed.update({"forged_bool_mask": ["ch05_causal_mask"], "lazy_result": ["ch05_top_k_top_p"],
                   "huge_score_matrix": ["ch05_attention"], "never_decodes": ["ch05_kv_decode"],
                   "forbidden_registry_replaced": ["ch05_attention"]})
    return BATCH.entries(honest, bad, failed)
