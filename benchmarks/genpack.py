"""A generated content pack of N people and N characters (one casting each), for scale runs.

Names look like real ones: a first name from a list and a surname built from syllables, so
that folded prefixes and substrings are spread the way real names spread. The same seed
always gives the same pack.
"""

from __future__ import annotations

import random
from pathlib import Path

FIRST = (  # noqa: SIM905 - a list of names reads best as text
    "Ada Aiden Alba Alex Alice Amara Amir Ana Anya Arlo Asha Ava Axel Bea Ben Bilal Bo "
    "Cara Cato Cleo Cole Dara Dev Dina Eli Elif Ella Emil Emma Enzo Eva Ezra Faye Finn "
    "Gia Gus Hana Hugo Ida Ines Isla Ivan Jade Jago Jin Joel Juno Kai Kara Kit Lars Lea "
    "Leo Lia Lola Luca Lulu Mae Mara Max Maya Mia Milo Nia Nico Nora Noor Obi Olaf Omar "
    "Opal Otto Pia Raf Remy Rhea Rosa Ruby Sade Sami Sara Sol Tao Tara Teo Uma Vera Wren "
    "Yara Yusuf Zara Zeno Zoe Ángel Chloé Élodie Jörg Søren Zoë Björn Maël Iñaki Ludovic "
    "Thibault"
).split()
SYLLABLES = (  # noqa: SIM905 - a list of names reads best as text
    "an bel cor dan el fen gar hal in jor kel lan mor nor os per quin ros sel tor ul van "
    "wick yor zen ash ber cal dor ell fal gil hart ing kin ley mont nell ow ridge ston "
    "ton well wood ay bro cla dre fro gle kra ple sca tri"
).split()

HEADER = """[pack]
name = "generated"
title = "Generated show season 1"
version = "1.0.0"

[[sources]]
key = "generator"
title = "benchmarks/genpack.py"

[show]
key = "generated"
title = "Generated Show"
platform = "Nowhere"

[[seasons]]
number = 1
synopsis = "A season with a very large cast."
current = true

[[events]]
key = "premiere"
season = 1
kind = "premiere"
title = "Season 1 premiere"
starts_at = 2030-01-01T12:00:00Z
"""


def _surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def names(count: int, rng: random.Random) -> list[str]:
    """`count` distinct full names."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        name = f"{rng.choice(FIRST)} {_surname(rng)}"
        if rng.random() < 0.1:
            name += f" {_surname(rng)}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def pack_text(people: int, characters: int, seed: int = 5) -> tuple[str, list[str], list[str]]:
    """The TOML of the pack, the people's names and the characters' names."""
    rng = random.Random(seed)
    all_names = names(people + characters, rng)
    person_names, character_names = all_names[:people], all_names[people:]
    parts = [HEADER]
    for i, name in enumerate(person_names):
        parts.append(f'\n[[people]]\nkey = "p{i}"\nname = "{name}"\n')
    for i, name in enumerate(character_names):
        parts.append(f'\n[[characters]]\nkey = "c{i}"\nname = "{name}"\n')
    for i in range(max(people, characters)):
        person = f"p{i % people}"
        character = f'\ncharacter = "c{i}"' if i < characters else ""
        status = "new" if i % 7 == 0 else "returning"
        parts.append(
            f'\n[[castings]]\nperson = "{person}"{character}\nseason = 1\nstatus = "{status}"\n'
        )
    return "".join(parts), person_names, character_names


def write_pack(
    folder: Path, people: int, characters: int, seed: int = 5
) -> tuple[Path, list[str], list[str]]:
    """Write `generated.toml` into `folder`; return its path and the names in it."""
    folder.mkdir(parents=True, exist_ok=True)
    text, person_names, character_names = pack_text(people, characters, seed)
    path = folder / "generated.toml"
    path.write_text(text, encoding="utf-8")
    return path, person_names, character_names
