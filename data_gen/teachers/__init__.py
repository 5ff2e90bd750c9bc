"""Teachers turn (caption, tool catalogue) into requests with the expected tool calls."""

from __future__ import annotations

from pathlib import Path

from data_gen.config import GenConfig
from data_gen.teachers.base import Teacher, TeacherReport
from data_gen.teachers.template import TemplateTeacher
from tools.registry import ToolRegistry

__all__ = ["Teacher", "TeacherReport", "TemplateTeacher", "make_teacher"]


def make_teacher(config: GenConfig, catalogue: ToolRegistry, cache_dir: Path) -> Teacher:
    """The teacher a config names; model-backed teachers cache their answers under ``cache_dir``."""
    options = dict(config.teacher_options)
    if config.teacher == "template":
        return TemplateTeacher(
            catalogue,
            seed=config.seed,
            held_out_phrasing=config.held_out_phrasing,
            product_requests=config.product_requests,
            **options,
        )
    from data_gen.teachers.llm import make_llm_teacher

    return make_llm_teacher(config.teacher, catalogue, cache_dir, config.seed, options)
