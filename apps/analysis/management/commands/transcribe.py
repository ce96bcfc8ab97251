import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.analysis.options import analysis_options_validate
from apps.analysis.services import document_diarize
from apps.engines.errors import ProviderError
from apps.transcripts import formats
from apps.transcripts.options import options_validate
from apps.transcripts.services import transcribe_file


class Command(BaseCommand):
    help = "Transcribe a file and print the result, without a running server."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--engine", default="")
        parser.add_argument("--model", default="")
        parser.add_argument("--language", default="")
        parser.add_argument("--task", choices=["transcribe", "translate"], default="transcribe")
        parser.add_argument("--prompt", default="")
        parser.add_argument(
            "--speakers",
            default=None,
            metavar="N|auto",
            help="Label who speaks: a number of speakers, or 'auto' to detect it. "
            "Implied by --format diarized_json.",
        )
        parser.add_argument(
            "--format",
            dest="fmt",
            default="text",
            choices=["text", "json", "verbose_json", "diarized_json", "srt", "vtt"],
        )

    def handle(self, *args, file, engine, model, language, task, prompt, speakers, fmt, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        diarize = speakers is not None or fmt == "diarized_json"
        try:
            opts = options_validate(
                engine=engine, model=model, language=language, task=task, prompt=prompt
            )
            count = analysis_options_validate(num_speakers=speakers).num_speakers
            document, provided = transcribe_file(path=file, options=opts)
            if diarize:
                document = document_diarize(
                    path=file,
                    document=document,
                    num_speakers=count,
                    diarization=provided.diarization if provided else None,
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except ProviderError as exc:
            raise CommandError(exc.message) from exc
        if fmt in formats.JSON_FORMATS:
            body = {
                "json": formats.to_json,
                "verbose_json": formats.to_verbose_json,
                "diarized_json": formats.to_diarized_json,
            }[fmt](document)
            sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        elif fmt == "text" and diarize:
            self.stdout.write(formats.to_dialogue(document), ending="")
        else:
            self.stdout.write(formats.render(document, fmt), ending="")
