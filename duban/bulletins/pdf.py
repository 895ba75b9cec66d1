"""A .docx turned into PDF by LibreOffice, headless, with the GB/T 9704 faces mapped to installed CJK fonts.

The faces a 公文 names (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312, 宋体) are commercial and absent from a
server; unmapped, fontconfig falls back to a Latin face and the PDF shows empty boxes. Each conversion runs
with its own fontconfig file that includes the system's and maps every one of those names to a CJK face that
Debian ships (scripts/docs-tools.sh installs them): Noto Serif CJK SC for 小标宋 (bold), 仿宋 and 宋体, Noto Sans
CJK SC or WenQuanYi Zen Hei for 黑体, AR PL UKai for 楷体.

Each process keeps its own LibreOffice profile (-env:UserInstallation) so that parallel workers and test runs
never share one; conversions inside a process take turns.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from django.conf import settings

from duban.core.errors import DomainError

# (names a document may use, the installed faces to use instead, bold?)
FACE_MAP = [
    (("方正小标宋简体", "方正小标宋_GBK", "小标宋", "FZXiaoBiaoSong-B05S"), ("Noto Serif CJK SC", "AR PL UMing CN"), True),
    (("仿宋_GB2312", "仿宋", "FangSong", "FangSong_GB2312"), ("Noto Serif CJK SC", "AR PL UMing CN"), False),
    (("宋体", "SimSun", "NSimSun"), ("Noto Serif CJK SC", "AR PL UMing CN"), False),
    (("黑体", "SimHei"), ("Noto Sans CJK SC", "WenQuanYi Zen Hei"), False),
    (("楷体_GB2312", "楷体", "KaiTi", "KaiTi_GB2312"), ("AR PL UKai CN", "Noto Serif CJK SC"), False),
]

_lock = threading.Lock()


def fonts_conf() -> str:
    """A fontconfig file: the system's, plus the 公文 faces mapped to installed CJK faces."""
    rules = []
    for names, faces, bold in FACE_MAP:
        for name in names:
            edits = "".join(f"<string>{face}</string>" for face in faces)
            weight = '<edit name="weight" mode="assign"><const>bold</const></edit>' if bold else ""
            rules.append(
                f'<match target="pattern"><test name="family" qual="any"><string>{name}</string></test>'
                f'<edit name="family" mode="prepend" binding="strong">{edits}</edit>{weight}</match>'
            )
    return ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
            '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n' + "\n".join(rules) + "\n</fontconfig>\n")


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    return soffice_path() is not None


def _workdir() -> Path:
    """This process's LibreOffice profile and fontconfig file (created once)."""
    base = Path(tempfile.gettempdir()) / f"duban-soffice-{os.getuid()}-{os.getpid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    conf = base / "fonts.conf"
    text = fonts_conf()
    if not conf.exists() or conf.read_text(encoding="utf-8") != text:
        conf.write_text(text, encoding="utf-8")
    return base


def docx_to_pdf(content: bytes, *, timeout: float | None = None) -> bytes:
    """The PDF of a .docx; a clear DomainError when LibreOffice is missing, fails or takes too long."""
    soffice = soffice_path()
    if soffice is None:
        raise DomainError("pdf_converter_missing",
                          "服务器未安装 LibreOffice，暂时无法生成 PDF（请管理员运行 scripts/docs-tools.sh）；"
                          "可先生成 Word 文档。")
    limit = timeout or getattr(settings, "DUBAN_PDF_TIMEOUT", 120)
    with _lock, tempfile.TemporaryDirectory(prefix="duban-pdf-") as scratch:
        work = _workdir()
        source = Path(scratch) / "bulletin.docx"
        source.write_bytes(content)
        env = {**os.environ, "FONTCONFIG_FILE": str(work / "fonts.conf"), "HOME": str(work),
               "SAL_USE_VCLPLUGIN": "svp"}
        command = [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                   "--nologo", "--nodefault", "--nolockcheck", "--convert-to", "pdf:writer_pdf_Export",
                   "--outdir", scratch, str(source)]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True)
        try:
            _out, err = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the wrapper script and soffice.bin under it
            process.communicate()
            raise DomainError("pdf_timeout", f"PDF 转换超过{limit:g}秒未完成，请稍后重试。") from None
        result = Path(scratch) / "bulletin.pdf"
        if process.returncode != 0 or not result.exists():
            detail = err.decode("utf-8", "replace")[-500:]
            raise DomainError("pdf_failed", "PDF 转换失败，请稍后重试或先下载 Word 文档。", {"stderr": detail})
        return result.read_bytes()
