import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

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
            "--format",
            dest="fmt",
            default="text",
            choices=["text", "json", "verbose_json", "srt", "vtt"],
        )

    def handle(self, *args, file, engine, model, language, task, prompt, fmt, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            opts = options_validate(
                engine=engine, model=model, language=language, task=task, prompt=prompt
            )
            document = transcribe_file(path=file, options=opts)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except ProviderError as exc:
            raise CommandError(exc.message) from exc
        if fmt in formats.JSON_FORMATS:
            body = formats.to_json(document) if fmt == "json" else formats.to_verbose_json(document)
            sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        else:
            self.stdout.write(formats.render(document, fmt), ending="")
