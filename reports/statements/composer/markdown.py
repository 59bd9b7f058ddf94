"""Markdown written by coordinators → the statement's paragraphs and lists, never markup."""

from markdown_it import MarkdownIt

from reports.statements.document import Block, ListBlock, Paragraph, Run

_markdown = MarkdownIt("commonmark", {"html": False})


def markdown_blocks(text: str) -> list[Block]:
    """Read Markdown into paragraphs and lists; any HTML in it stays plain text."""
    tokens = _markdown.parse(text or "")
    blocks: list[Block] = []
    lists: list[ListBlock] = []
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(ListBlock(items=[], ordered=token.type == "ordered_list_open"))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            finished = lists.pop()
            if lists:
                # A nested list is flattened into its parent: statements keep one level.
                lists[-1].items.extend(finished.items)
            else:
                blocks.append(finished)
        elif token.type == "inline":
            paragraph = Paragraph(runs=_runs(token.children or []))
            if not paragraph.text.strip():
                continue
            if lists:
                lists[-1].items.append(paragraph)
            else:
                blocks.append(paragraph)
        elif token.type in ("fence", "code_block", "html_block"):
            blocks.append(Paragraph.of(token.content.strip()))
    return blocks


def _runs(children) -> list[Run]:
    runs: list[Run] = []
    bold = italic = False
    for child in children:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type in ("softbreak", "hardbreak"):
            runs.append(Run(" ", bold, italic))
        elif child.type in ("text", "code_inline", "html_inline"):
            runs.append(Run(child.content, bold, italic))
    merged: list[Run] = []
    for run in runs:
        if merged and (merged[-1].bold, merged[-1].italic) == (run.bold, run.italic):
            merged[-1] = Run(merged[-1].text + run.text, run.bold, run.italic)
        else:
            merged.append(run)
    return merged
