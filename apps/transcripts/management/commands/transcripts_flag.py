from django.core.management.base import BaseCommand

from apps.transcripts.models import Transcript
from apps.transcripts.services import segments_flag


class Command(BaseCommand):
    help = (
        "Work out the hallucination and repetition flags of stored segments again: for "
        "transcripts made before flags existed, or after their rules changed. Segments people "
        "edited keep no flags."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", help="Transcript ids (default: every finished one).")
        parser.add_argument(
            "--silence",
            action="store_true",
            help="Also run the voice detector over each recording (decodes the audio again).",
        )

    def handle(self, *args, ids, silence, **options):
        transcripts = Transcript.objects.filter(status=Transcript.Status.DONE)
        if ids:
            transcripts = transcripts.filter(pk__in=ids)
        total = 0
        for transcript in transcripts.iterator():
            flagged = segments_flag(transcript=transcript, silence=silence)
            total += flagged
            if flagged:
                self.stdout.write(f"{transcript.pk}: {flagged} flagged segment(s)")
        self.stdout.write(f"{total} flagged segment(s) in all.")
