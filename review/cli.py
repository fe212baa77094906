"""`thutuc nlu …`: the unanswered questions and the export of the reviewed ones as training data.

Only click at module level; the rest is imported inside the commands."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click


@click.group("nlu")
def nlu_group() -> None:
    """Câu hỏi bot chưa trả lời được và dữ liệu huấn luyện từ các câu đã rà soát."""


@nlu_group.command("misses")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON.")
@click.option("--limit", default=50, show_default=True, help="Số nhóm tối đa.")
def misses_command(as_json: bool, limit: int) -> None:
    """Liệt kê các nhóm câu hỏi bot chưa trả lời được (đã che thông tin cá nhân), kèm số lần và quyết định rà soát."""
    from base.db import get_engine
    from base.settings import get_settings
    from review.service import group_views
    from review.store import ReviewStore

    views = group_views(get_engine(get_settings().tracker_database_url), ReviewStore.from_settings())[:limit]
    if as_json:
        click.echo(json.dumps([v.as_json({}) for v in views], ensure_ascii=False, indent=2))
        return
    for view in views:
        state = "chưa rà soát"
        if view.review is not None:
            state = "ngoài phạm vi" if view.review.out_of_scope else f"{view.review.procedure_code} {view.review.facet}"
        click.echo(f"{view.id}  {view.count:>4}  [{state}]  {view.example}")
    if not views:
        click.echo("Không có câu hỏi nào bot chưa trả lời được.")


@nlu_group.command("export-reviewed")
@click.option("--nlu-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp NLU sinh ra (mặc định data/nlu/reviewed.yml).")
@click.option("--aliases-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp tên gọi sinh ra (mặc định knowledge/data/colloquial_reviewed.yml).")
def export_reviewed_command(nlu_out: Optional[Path], aliases_out: Optional[Path]) -> None:
    """Ghi các câu hỏi đã rà soát thành ví dụ NLU và tên gọi tìm kiếm; lần `thutuc train` sau sẽ dùng chúng."""
    from base.settings import PROJECT_ROOT, get_settings
    from review.export import ALIASES_FILE, NLU_FILE, ExportRefused, write_export
    from review.store import ReviewStore

    settings = get_settings()
    nlu_out = nlu_out or PROJECT_ROOT / "data" / "nlu" / NLU_FILE
    aliases_out = aliases_out or Path(settings.knowledge_data_dir) / ALIASES_FILE
    reviews = ReviewStore.from_settings().reviews()
    try:
        export = write_export(reviews, nlu_out, aliases_out, PROJECT_ROOT,
                              Path(settings.knowledge_data_dir) / "colloquial.yml")
    except ExportRefused as refused:
        for problem in refused.problems:
            click.echo(problem, err=True)
        click.echo(f"Không xuất gì: {len(refused.problems)} mục cần xử lý trước.", err=True)
        sys.exit(1)
    for note in export.skipped:
        click.echo(note)
    click.echo(f"Đã ghi {len(export.examples)} ví dụ NLU vào {nlu_out} và {len(export.aliases)} tên gọi vào "
               f"{aliases_out} (từ {len(reviews)} mục đã rà soát). Chạy `thutuc train` để huấn luyện lại.")


def register(cli: click.Group) -> None:
    cli.add_command(nlu_group)
