"""Writes for voices: custom voices (samples, consent, checks, matching, cloning, sharing,
deleting), previews, and speaking with a resolved voice."""

from .cloning import clone_delete, clone_retry, clone_start, cloning_alias
from .custom import (
    CONSENT_STATEMENTS,
    Consent,
    SampleUpload,
    consent_statement,
    sample_delete,
    samples_add,
    voice_create,
    voice_delete,
    voice_retry,
    voice_share,
    voice_unshare,
)
from .matching import match_candidates, sample_language, voice_rebase
from .pls import pls_export, pls_import
from .previews import preview_refresh, preview_request
from .pronunciation import pronounce, pronunciation_delete, pronunciation_set
from .synthesis import voice_synthesize_pcm

__all__ = [
    "CONSENT_STATEMENTS",
    "Consent",
    "SampleUpload",
    "clone_delete",
    "clone_retry",
    "clone_start",
    "cloning_alias",
    "consent_statement",
    "match_candidates",
    "pls_export",
    "pls_import",
    "preview_refresh",
    "pronounce",
    "pronunciation_delete",
    "pronunciation_set",
    "preview_request",
    "sample_delete",
    "sample_language",
    "samples_add",
    "voice_create",
    "voice_delete",
    "voice_rebase",
    "voice_retry",
    "voice_share",
    "voice_synthesize_pcm",
    "voice_unshare",
]
