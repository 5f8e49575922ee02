"""The Korean fonts shipped with reporting: NanumSquare (regular, bold) and NanumGothicCoding (fixed
pitch, for long lists), © NAVER, SIL Open Font License 1.1 (LICENSE-Nanum-OFL.txt).

Copied unmodified from Debian's ``fonts-nanum`` package (20200506-1). Reports embed them (subset, in the
PDF through @font-face; the chart is drawn with them), so a report never depends on the fonts of the
machine that makes or opens it.
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
REGULAR = FOLDER / "NanumSquareR.ttf"
BOLD = FOLDER / "NanumSquareB.ttf"
MONO = FOLDER / "NanumGothicCoding.ttf"
LICENSE = FOLDER / "LICENSE-Nanum-OFL.txt"
