"""A Word document of a transcript: title, summary, keywords, chapters, speakers and the dialogue
with timestamps, built with python-docx."""

from io import BytesIO

from .formats import Stretches, TranscriptDocument, clock, talked_over, utterances

_GREY = (0x6B, 0x73, 0x85)


def to_docx(doc: TranscriptDocument) -> bytes:
    from docx import Document  # imported here: only this export needs it
    from docx.shared import Pt

    document = Document()
    title = doc.title or "Transcript"
    document.core_properties.title = title
    document.add_heading(title, level=0)
    facts = [f"Duration {clock(doc.duration)}", f"language {doc.language}"]
    if doc.speakers:
        facts.append(f"{len(doc.speakers)} speakers")
    _grey(document.add_paragraph().add_run(" · ".join(facts)))

    if doc.summary:
        document.add_heading("Summary", level=1)
        document.add_paragraph(doc.summary.text)
    if doc.keywords:
        paragraph = document.add_paragraph()
        paragraph.add_run("Keywords: ").bold = True
        paragraph.add_run(", ".join(k.text for k in doc.keywords))
    if doc.chapters:
        document.add_heading("Chapters", level=1)
        for chapter in doc.chapters:
            paragraph = document.add_paragraph(style="List Number")
            _grey(paragraph.add_run(f"{clock(chapter.start)}–{clock(chapter.end)}  "))
            paragraph.add_run(chapter.headline).bold = True
            if chapter.gist:
                paragraph.add_run(f" ({chapter.gist})").italic = True
    if doc.speakers:
        document.add_heading("Speakers", level=1)
        for speaker in doc.speakers:
            paragraph = document.add_paragraph(style="List Bullet")
            _coloured(paragraph.add_run(speaker.display_name), speaker.colour).bold = True
            paragraph.add_run(
                f": talks {clock(speaker.talk_time)}, {speaker.words} words, "
                f"{speaker.words_per_minute:.0f} words per minute"
            )

    document.add_heading("Transcript", level=1)
    during = Stretches(doc.overlaps)
    for turn in utterances(doc):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(6)
        _grey(paragraph.add_run(f"[{clock(turn.start)}] "))
        if turn.speaker:
            name = paragraph.add_run(f"{turn.speaker.display_name}: ")
            _coloured(name, turn.speaker.colour).bold = True
        paragraph.add_run(turn.text)
        if note := talked_over(during, turn):
            _grey(paragraph.add_run(note))

    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _grey(run):
    from docx.shared import RGBColor

    run.font.color.rgb = RGBColor(*_GREY)
    return run


def _coloured(run, colour: str):
    from docx.shared import RGBColor

    if len(colour) == 7 and colour.startswith("#"):
        run.font.color.rgb = RGBColor.from_string(colour[1:].upper())
    return run
