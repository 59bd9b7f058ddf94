"""The plain document model of a statement: what the composer builds and the renderers draw.

A document is data only: no HTML, no styling. Every paragraph the composer generates from the
mission's findings carries its evidence (the visits, answers and incidents behind it) and an
id, so a coordinator can open the evidence of any sentence. The model is stored with the
statement as JSON (`Document.as_dict` / `Document.from_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Run:
    """A stretch of text with one style."""

    text: str
    bold: bool = False
    italic: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        if self.bold:
            data["bold"] = True
        if self.italic:
            data["italic"] = True
        return data


@dataclass
class Paragraph:
    runs: list[Run]
    # Set on generated paragraphs: {"visits": [...], "answers": [...], "incidents": [...]}.
    evidence: dict[str, list[int]] | None = None
    id: str = ""
    # "body", or "signature" for the closing lines that sign the statement.
    style: str = "body"

    @classmethod
    def of(cls, text: str, **kwargs: Any) -> Paragraph:
        return cls([Run(text)], **kwargs)

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "paragraph", "runs": [run.as_dict() for run in self.runs]}
        if self.evidence is not None:
            data["evidence"] = self.evidence
        if self.id:
            data["id"] = self.id
        if self.style != "body":
            data["style"] = self.style
        return data


@dataclass
class ListBlock:
    items: list[Paragraph]
    ordered: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": "list",
            "ordered": self.ordered,
            "items": [item.as_dict() for item in self.items],
        }


Block = Paragraph | ListBlock


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    number: int | None = None

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}" if self.number is not None else self.title

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "blocks": [block.as_dict() for block in self.blocks],
        }


@dataclass
class Document:
    title: str
    language: str
    kind_label: str = ""
    place_line: str = ""
    # Who issues the statement (the organisation): the author in the PDF's and DOCX's metadata.
    author: str = ""
    preamble: list[Block] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    closing: list[Block] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "language": self.language,
            "kind_label": self.kind_label,
            "place_line": self.place_line,
            "author": self.author,
            "preamble": [block.as_dict() for block in self.preamble],
            "sections": [section.as_dict() for section in self.sections],
            "closing": [block.as_dict() for block in self.closing],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            title=data["title"],
            language=data["language"],
            kind_label=data.get("kind_label", ""),
            place_line=data.get("place_line", ""),
            author=data.get("author", ""),
            preamble=[_block(b) for b in data.get("preamble", [])],
            sections=[
                Section(
                    title=s["title"],
                    number=s.get("number"),
                    blocks=[_block(b) for b in s.get("blocks", [])],
                )
                for s in data.get("sections", [])
            ],
            closing=[_block(b) for b in data.get("closing", [])],
        )

    def paragraphs(self) -> list[Paragraph]:
        """Every paragraph, list items included, in reading order."""
        found: list[Paragraph] = []
        for blocks in (self.preamble, *(s.blocks for s in self.sections), self.closing):
            for block in blocks:
                found.extend(block.items if isinstance(block, ListBlock) else [block])
        return found

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        return next((p for p in self.paragraphs() if p.id == paragraph_id), None)

    def plain_text(self) -> str:
        """The document's words, one block per line: for search and for tests."""
        lines = [self.title, self.kind_label, self.place_line]
        for blocks, heading in (
            (self.preamble, None),
            *((s.blocks, s.heading) for s in self.sections),
            (self.closing, None),
        ):
            if heading:
                lines.append(heading)
            for block in blocks:
                if isinstance(block, ListBlock):
                    lines.extend(item.text for item in block.items)
                else:
                    lines.append(block.text)
        return "\n".join(line for line in lines if line)


def _paragraph(data: dict[str, Any]) -> Paragraph:
    return Paragraph(
        runs=[
            Run(r["text"], bold=r.get("bold", False), italic=r.get("italic", False))
            for r in data["runs"]
        ],
        evidence=data.get("evidence"),
        id=data.get("id", ""),
        style=data.get("style", "body"),
    )


def _block(data: dict[str, Any]) -> Block:
    if data["type"] == "list":
        return ListBlock(
            items=[_paragraph(item) for item in data["items"]], ordered=data.get("ordered", False)
        )
    return _paragraph(data)
