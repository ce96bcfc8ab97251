"""The pronunciation dictionary as a PLS file (W3C Pronunciation Lexicon Specification), the
format ElevenLabs' pronunciation dictionaries take and give: one <lexeme> per word, with an
<alias> (a respelling) or a <phoneme> in IPA or CMU Arpabet."""

import re
import xml.etree.ElementTree as ET

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from .pronunciation import pronunciation_set

NS = "http://www.w3.org/2005/01/pronunciation-lexicon"
MAX_BYTES = 1_000_000

# CMU Arpabet → IPA (stress digits: 1 primary, 2 secondary; AH0 and ER0 are the weak vowels).
_ARPABET = {
    "AA": "ɑ",
    "AE": "æ",
    "AH": "ʌ",
    "AH0": "ə",
    "AO": "ɔ",
    "AW": "aʊ",
    "AY": "aɪ",
    "B": "b",
    "CH": "tʃ",
    "D": "d",
    "DH": "ð",
    "EH": "ɛ",
    "ER": "ɜː",
    "ER0": "ɚ",
    "EY": "eɪ",
    "F": "f",
    "G": "ɡ",
    "HH": "h",
    "IH": "ɪ",
    "IY": "i",
    "JH": "dʒ",
    "K": "k",
    "L": "l",
    "M": "m",
    "N": "n",
    "NG": "ŋ",
    "OW": "oʊ",
    "OY": "ɔɪ",
    "P": "p",
    "R": "ɹ",
    "S": "s",
    "SH": "ʃ",
    "T": "t",
    "TH": "θ",
    "UH": "ʊ",
    "UW": "u",
    "V": "v",
    "W": "w",
    "Y": "j",
    "Z": "z",
    "ZH": "ʒ",
}


def arpabet_to_ipa(arpabet: str) -> str:
    """ "T AH0 M EY1 T OW2" → "təmˈeɪtˌoʊ" (stress marked before the vowel, as espeak-ng does).
    Raises ValueError on an unknown symbol."""
    out = []
    for symbol in arpabet.upper().split():
        match = re.fullmatch(r"([A-Z]+)([012]?)", symbol)
        base, stress = match.groups() if match else (symbol, "")
        ipa = _ARPABET.get(base + stress) or _ARPABET.get(base)
        if ipa is None:
            raise ValueError(f"Unknown Arpabet symbol {symbol!r}.")
        out.append({"1": "ˈ", "2": "ˌ"}.get(stress, "") + ipa)
    return "".join(out)


def pls_export(*, owner: User) -> bytes:
    """The owner's dictionary as PLS: phoneme entries as IPA <phoneme>, respellings as <alias>."""
    ET.register_namespace("", NS)
    root = ET.Element(
        f"{{{NS}}}lexicon",
        {"version": "1.0", "alphabet": "ipa", "{http://www.w3.org/XML/1998/namespace}lang": "en"},
    )
    for entry in owner.pronunciations.all():
        lexeme = ET.SubElement(root, f"{{{NS}}}lexeme")
        ET.SubElement(lexeme, f"{{{NS}}}grapheme").text = entry.word
        if entry.phonemes:
            ET.SubElement(lexeme, f"{{{NS}}}phoneme").text = entry.phonemes
        else:
            ET.SubElement(lexeme, f"{{{NS}}}alias").text = entry.say_as
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def pls_import(*, owner: User, data: bytes) -> tuple[int, list[str]]:
    """Add or change the words of a PLS file; how many were saved, and one message per lexeme
    that was not (the others are kept). Raises ValidationError for a file that is not PLS."""
    root = _parse(data)
    default_alphabet = root.get("alphabet", "ipa").lower()
    saved, problems = 0, []
    for lexeme in root.iter(f"{{{NS}}}lexeme"):
        graphemes = lexeme.iter(f"{{{NS}}}grapheme")
        words = [g.text.strip() for g in graphemes if g.text and g.text.strip()]
        try:
            how = _pronunciation(lexeme, default_alphabet)
            for word in words:
                pronunciation_set(owner=owner, word=word, **how)
                saved += 1
        except ValidationError as exc:
            problems.append(f"{', '.join(words) or '(no word)'}: {' '.join(exc.messages)}")
        except ValueError as exc:
            problems.append(f"{', '.join(words) or '(no word)'}: {exc}")
    return saved, problems


def _parse(data: bytes) -> ET.Element:
    # No document type: entity expansion is how an XML file can blow up memory.
    if len(data) > MAX_BYTES or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValidationError("Give a PLS file of at most 1 MB, without a DOCTYPE.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValidationError(f"The file is not valid XML: {exc}.") from exc
    if root.tag != f"{{{NS}}}lexicon":
        raise ValidationError("The file is not a PLS lexicon (<lexicon> in the PLS namespace).")
    return root


def _pronunciation(lexeme: ET.Element, default_alphabet: str) -> dict[str, str]:
    alias = lexeme.find(f"{{{NS}}}alias")
    phoneme = lexeme.find(f"{{{NS}}}phoneme")
    if phoneme is not None and (phoneme.text or "").strip():
        alphabet = phoneme.get("alphabet", default_alphabet).lower()
        text = phoneme.text.strip()
        if alphabet in ("cmu-arpabet", "x-cmu", "cmu"):
            text = arpabet_to_ipa(text)
        elif alphabet != "ipa":
            raise ValueError(f"Unknown phoneme alphabet {alphabet!r} (ipa or cmu-arpabet).")
        say_as = (alias.text or "").strip() if alias is not None else ""
        return {"phonemes": text, "say_as": say_as}
    if alias is not None and (alias.text or "").strip():
        return {"say_as": alias.text.strip()}
    raise ValueError("The lexeme has neither an alias nor a phoneme.")
