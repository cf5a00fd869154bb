"""Hostile inputs shared by the boundary tests."""


def billion_laughs(levels: int) -> str:
    """YAML whose last anchor (the letter ``levels`` after ``a``) expands to 9**(levels+1)
    items from a few hundred bytes: ``a`` holds nine strings, each next anchor nine aliases
    of the one before."""
    names = "abcdefghijklmnop"[: levels + 1]
    return "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, n in zip(names[:-1], names[1:], strict=True))
