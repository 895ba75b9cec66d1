"""Reading Chinese official text by its brackets and quotations: what lies outside them may be split."""

OPEN = "（(〔[【《“‘「『"
CLOSE = "）)〕]】》”’」』"
PAIRS = dict(zip(OPEN, CLOSE, strict=True))
UNCLOSED_MAX = 300


def depths(text: str) -> list[int]:
    """The nesting depth at each character (an opening mark counts as inside, its closing mark too).

    A closing mark with no opening one is ignored; a bracket still open at a line break more than UNCLOSED_MAX
    characters after it opened is taken as stray and closed there, so a lone “（” never swallows a document.
    """
    out, stack, opened = [], [], 0
    for i, ch in enumerate(text):
        if stack and ch == "\n" and i - opened > UNCLOSED_MAX:
            stack.clear()
        if ch in PAIRS and not (ch in "“‘" and stack and PAIRS[stack[-1]] == ch):
            if not stack:
                opened = i
            stack.append(ch)
            out.append(len(stack))
            continue
        out.append(len(stack))
        if stack and ch == PAIRS[stack[-1]]:
            stack.pop()
        elif ch in CLOSE and ch in {PAIRS[s] for s in stack}:
            while stack and PAIRS[stack[-1]] != ch:
                stack.pop()
            stack.pop()
    return out


def bracket_groups(text: str) -> list[tuple[int, int]]:
    """The outermost （…）, (…) and 〔…〕 groups, as [start, end) with their marks."""
    groups, start, level = [], None, depths(text)
    for i, ch in enumerate(text):
        if ch in "（(〔" and level[i] == 1 and start is None:
            start = i
        elif start is not None and ch in "）)〕" and level[i] == 1 and PAIRS[text[start]] == ch:
            groups.append((start, i + 1))
            start = None
        elif start is not None and level[i] == 0:
            start = None
    return groups


def split_outside(text: str, marks: str) -> list[str]:
    """`text` split after each of `marks` found outside brackets and quotations (the marks kept)."""
    pieces, begin, level = [], 0, depths(text)
    for i, ch in enumerate(text):
        if ch in marks and level[i] == 0:
            pieces.append(text[begin:i + 1])
            begin = i + 1
    if begin < len(text):
        pieces.append(text[begin:])
    return pieces


def outside(text: str, position: int, level: list[int] | None = None) -> bool:
    return (level or depths(text))[position] == 0
