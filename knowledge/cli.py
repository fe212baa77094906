"""Knowledge-base commands for `thutuc`: kb load/import/stats/export-nlu, search, tra.

Only click is imported at module level: `thutuc tra` must answer in under a second from a cold start, so everything
else (SQLAlchemy, Alembic, rapidfuzz, Jinja2) is imported inside the commands that need it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click

# Two candidates whose scores are this close are "the same" for `tra`: list them instead of guessing (0.9: on the
# held-out queries this flags about 1 % of right answers and most wrong ones).
AMBIGUOUS_RATIO = 0.9
MIN_SCORE = 0.25


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))


def _engine():
    from base.db import get_engine, migrate

    engine = get_engine()
    migrate(engine=engine)
    return engine


@click.group("kb")
def kb_group() -> None:
    """Quản lý cơ sở dữ liệu thủ tục (nạp dữ liệu, nhập danh mục quốc gia, thống kê)."""


@kb_group.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Chỉ kiểm tra dữ liệu, không ghi vào cơ sở dữ liệu.")
def load_command(path: Optional[Path], check: bool) -> None:
    """Kiểm tra rồi nạp dữ liệu thủ tục đã biên soạn (YAML). Có lỗi thì không thay đổi gì."""
    from base.settings import get_settings
    from knowledge.loader import LoadFailed, load_curated

    root = path or get_settings().knowledge_data_dir
    if check:
        from knowledge.curated_schema import read_curated

        curated = read_curated(Path(root))
        for error in curated.errors:
            click.echo(str(error), err=True)
        if curated.errors:
            click.echo(f"Có {len(curated.errors)} lỗi.", err=True)
            sys.exit(1)
        click.echo(f"Dữ liệu hợp lệ: {len(curated.procedures)} thủ tục" + (", có ward.yml." if curated.ward else "."))
        return
    try:
        report = load_curated(_engine(), root)
    except LoadFailed as failure:
        for error in failure.errors:
            click.echo(str(error), err=True)
        click.echo(f"Có {len(failure.errors)} lỗi; cơ sở dữ liệu không thay đổi.", err=True)
        sys.exit(1)
    click.echo(f"Đã nạp {report.procedures} thủ tục từ {root}.")
    if report.replaced_imported:
        click.echo(f"Thay bản nhập tự động bằng bản đã biên soạn: {', '.join(report.replaced_imported)}")
    if report.ward_loaded:
        click.echo(f"Đã nạp thông tin phường với {report.sites} điểm tiếp nhận.")
    else:
        click.echo("Không có ward.yml trong đường dẫn này: giữ nguyên thông tin phường.")


@kb_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="Không hiện thanh tiến trình.")
def import_command(file: Path, quiet: bool) -> None:
    """Nhập danh mục thủ tục quốc gia (.jsonl hoặc .jsonl.gz) với trạng thái 'imported'."""
    from knowledge.importer import import_catalogue

    def progress(records):
        if quiet:
            yield from records
            return
        with click.progressbar(records, label="Đang đọc hồ sơ thủ tục", file=sys.stderr) as bar:
            yield from bar

    report = import_catalogue(_engine(), file, progress=progress)
    click.echo(f"Đã đọc {report.read} dòng, nhập {report.imported} thủ tục ({report.with_warnings} có cảnh báo).")
    if report.skipped_curated:
        click.echo(f"Giữ nguyên {len(report.skipped_curated)} thủ tục đã biên soạn: {', '.join(report.skipped_curated)}")
    if report.duplicates:
        click.echo(f"Mã trùng trong tệp (lấy bản sau cùng): {', '.join(sorted(set(report.duplicates)))}")
    if report.incomplete:
        click.echo(
            f"{len(report.incomplete)} thủ tục không đọc được cách nộp hoặc thành phần hồ sơ (cần kiểm tra tay): "
            + ", ".join(report.incomplete)
        )
    if report.failed:
        click.echo(f"Không đọc được {len(report.failed)} dòng:", err=True)
        for line, reason in report.failed:
            click.echo(f"  {file}:{line}: {reason}", err=True)


@kb_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def stats_command(as_json: bool) -> None:
    """Số thủ tục theo trạng thái, giấy tờ, cách nộp, điểm tiếp nhận; các mục quá hạn kiểm tra."""
    from base.settings import get_settings
    from knowledge.stats import collect_stats

    stats = collect_stats(_engine(), get_settings().review_max_age_days)
    if as_json:
        _echo_json(stats)
        return
    procedures = stats["procedures"]
    click.echo(
        f"Thủ tục: {procedures['total']} (đã biên soạn {procedures['curated']}, nhập tự động {procedures['imported']})"
    )
    click.echo(f"Giấy tờ: {stats['documents']} · Cách nộp: {stats['channels']} · Điểm tiếp nhận: {stats['sites']}")
    click.echo(f"Quá {stats['review_max_age_days']} ngày chưa kiểm tra lại: {len(stats['stale'])}")
    for item in stats["stale"]:
        click.echo(f"  {item['code']} {item['name']} (kiểm tra lần cuối {item['reviewed']})")
    if stats["without_time_limit"]:
        click.echo(
            f"Hồ sơ gốc không ghi thời hạn (đã đánh dấu cần xem lại): {len(stats['without_time_limit'])} — "
            + ", ".join(stats["without_time_limit"])
        )
    flags = stats["review_flags"]
    click.echo(f"Cờ rà soát: {flags['resolved']} đã giải quyết theo văn bản pháp luật, {flags['open']} còn mở "
               f"ở {flags['open_entries']} thủ tục")
    for item in stats["flagged"]:
        click.echo(f"  {item['code']}: {'; '.join(item['open'])}")
    if stats["incomplete"]:
        click.echo(f"Thiếu thông tin bắt buộc: {len(stats['incomplete'])}")
        for item in stats["incomplete"]:
            click.echo(f"  {item['code']}: {', '.join(item['missing'])}")


@kb_group.command("export-nlu")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def export_nlu_command(out: Path) -> None:
    """Ghi bảng tra cứu 'procedure' cho Rasa NLU từ tên và tên gọi khác của các thủ tục đã biên soạn."""
    from knowledge.api import KnowledgeBase
    from knowledge.nlu_export import lookup_entries, render_lookup

    entries = lookup_entries(KnowledgeBase(_engine()))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_lookup(entries), encoding="utf-8")
    click.echo(f"Đã ghi {len(entries)} mục vào {out}.")


@click.command("search")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50))
def search_command(text: str, as_json: bool, limit: int) -> None:
    """Tìm thủ tục theo câu hỏi tự do (có dấu hoặc không dấu)."""
    from knowledge.api import KnowledgeBase

    hits = KnowledgeBase(_engine(), migrate=False).search(text, limit)
    if as_json:
        _echo_json([{"code": h.code, "name": h.name, "score": h.score, "status": h.status} for h in hits])
        return
    if not hits:
        click.echo("Không tìm thấy thủ tục phù hợp.")
        return
    for hit in hits:
        click.echo(f"{hit.code}\t{hit.score:.3f}\t{hit.name}" + ("" if hit.status == "curated" else " (nhập tự động)"))


def choose(hits) -> tuple[Optional[str], list]:
    """The code to show, or None with the close candidates when the match is weak or ambiguous."""
    if not hits or hits[0].score < MIN_SCORE:
        return None, list(hits)
    close = [h for h in hits[1:] if h.score >= hits[0].score * AMBIGUOUS_RATIO]
    if close:
        return None, [hits[0], *close]
    return hits[0].code, []


@click.command("tra")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="In thẻ thủ tục dạng JSON.")
@click.option("--print", "print_file", type=click.Path(dir_okay=False, path_type=Path), help="Ghi danh mục in (HTML).")
def tra_command(text: str, as_json: bool, print_file: Optional[Path]) -> None:
    """Tra cứu nhanh cho cán bộ: mã thủ tục hoặc câu hỏi tự do → thẻ thủ tục."""
    from knowledge.api import KnowledgeBase
    from knowledge.card import render_html, render_json, render_text

    kb = KnowledgeBase(_engine(), migrate=False)
    view = kb.card_view(text) if text.strip()[:1].isdigit() else None
    if view is None:
        hits = kb.search(text, 5)
        code, candidates = choose(hits)
        if code is None:
            if as_json:
                _echo_json({"match": None, "candidates": [{"code": h.code, "name": h.name, "score": h.score} for h in candidates]})
            elif candidates:
                click.echo("Có nhiều thủ tục gần giống, hãy chọn bằng mã (thutuc tra <mã>):")
                for hit in candidates:
                    click.echo(f"  {hit.code}  {hit.name}  ({hit.score:.2f})")
            else:
                click.echo("Không tìm thấy thủ tục phù hợp.")
            sys.exit(2)
        view = kb.card_view(code)
    if print_file is not None:
        print_file.parent.mkdir(parents=True, exist_ok=True)
        print_file.write_text(render_html(view), encoding="utf-8")
    if as_json:
        _echo_json(render_json(view))
    else:
        click.echo(render_text(view))
        if print_file is not None:
            click.echo(f"\nĐã ghi danh mục in: {print_file}")


def register(cli: click.Group) -> None:
    """Add the knowledge-base commands to the `thutuc` group."""
    cli.add_command(kb_group)
    cli.add_command(search_command)
    cli.add_command(tra_command)
