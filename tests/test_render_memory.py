"""A worker that renders hundreds of reports stays flat: typst's in-process memo cache grows with every
document compiled (about 14 MB each here), so each PDF is compiled in a process of its own."""

import subprocess
import sys

import pytest

COMPILE_MANY = """
import pathlib, sys
from wellled.report.render import _compile_typst

def resident():
    return int(pathlib.Path("/proc/self/statm").read_text().split()[1]) * 4096

root = pathlib.Path(sys.argv[1])
sizes = []
for n in range(8):
    text = "\\n".join(f"Paragraph {n} {i} " + "lorem ipsum dolor " * 20 for i in range(200))
    (root / "report.typ").write_text(f"= Report {n}\\n{text}\\n#table(columns: 3, ..range(300).map(x => [#x]))\\n")
    _compile_typst(root / "report.typ", root)
    assert (root / "report.pdf").stat().st_size > 10_000
    sizes.append(resident())
print(sizes[-1] - sizes[1])
"""


@pytest.mark.slow
def test_compiling_many_pdfs_leaves_the_calling_process_flat(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", COMPILE_MANY, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    growth = int(done.stdout)
    assert growth < 20 * 2**20, f"the process grew by {growth / 2**20:.0f} MB over 6 PDFs"
