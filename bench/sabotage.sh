#!/usr/bin/env bash
# Break one lib function, one notebook cell and one exercise definition (the judge's spec), one
# at a time, and run chapter 01's tests in parallel (the default) and in one process (-n 0):
# both must fail, on the same tests. Prints the failing tests per run; restores the files.
#     bash bench/sabotage.sh
set -uo pipefail
cd "$(dirname "$0")/.."
out=${SABOTAGE_OUT:-/tmp/sabotage}
mkdir -p "$out"
tests=(tests/lib solutions/01_neurons tests/notebooks/test_roundtrip.py tests/notebooks/test_student_run.py
       tests/grading/test_mistakes.py -k "not (02_ or 03_ or 04_)")

break_it() {
    case $1 in
        lib) sed -i 's|return torch.exp(torch.minimum(x, x.new_zeros(()))) / (1 + torch.exp(-x.abs()))|return 1 / (1 + torch.exp(-x)) * 1.001|' lib/activations.py ;;
        cell) python3 - <<'PY'
import json
p = "solutions/01_neurons/01_neurons.ipynb"
nb = json.load(open(p))
cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).startswith("models = {"))
cell["source"] = ["".join(cell["source"]).replace("count_params([784, 128, 10])", "count_params([784, 100, 10])")]
json.dump(nb, open(p, "w"), indent=1, ensure_ascii=False)
PY
        ;;
        spec) sed -i '0,/    torch.sigmoid,$/s//    lambda x: torch.sigmoid(x) * 1.001,/' lib/exercises/ch01.py ;;
    esac
    git diff --stat
}

for what in lib cell spec; do
    break_it "$what"
    for mode in parallel serial; do
        flag=(); [ "$mode" = serial ] && flag=(-n 0)
        python3 course.py test "${flag[@]}" "${tests[@]}" -q --junitxml="$out/$what-$mode.xml" > "$out/$what-$mode.log" 2>&1
        echo "$what $mode: exit $? | $(tail -1 "$out/$what-$mode.log")"
    done
    git checkout -q -- lib/activations.py solutions/01_neurons/01_neurons.ipynb lib/exercises/ch01.py
    .venv/bin/python - "$out/$what-parallel.xml" "$out/$what-serial.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
failed = [sorted(f"{c.get('classname')}::{c.get('name')}" for c in ET.parse(p).iter("testcase")
                 if c.find("failure") is not None or c.find("error") is not None) for p in sys.argv[1:]]
print("  same failing tests in both:", failed[0] == failed[1], f"({len(failed[0])} failed)")
for name in failed[0][:8]:
    print("   ", name)
PY
done
