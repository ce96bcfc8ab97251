from apps.engines.registry import BackendHandler, register_handler

from .base import AnalysisBackend

analysis_backends: BackendHandler[AnalysisBackend] = register_handler(
    BackendHandler("TRANSCRIPT_ANALYSIS", "TRANSCRIPT_ANALYSIS_DEFAULT")
)
