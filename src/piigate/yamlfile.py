"""Read a YAML file into plain data and validate it with pydantic, with errors that name
the file, the line and the key.

PyYAML composes the node tree (which keeps line numbers) and constructs the data from the
same tree, so a pydantic error location can be walked back to the node it came from. The
file is parsed once, by libyaml when PyYAML has it (its wheels do: about ten times faster
than the pure-Python parser, which every command paid for the settings and the rules).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from piigate.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlDocument:
    """A parsed YAML file: its data and the node tree that knows where each value was."""

    def __init__(self, path: Path, data: Any, root: yaml.Node | None) -> None:
        self.path = path
        self.data = data
        self.root = root

    @classmethod
    def load(cls, path: Path) -> YamlDocument:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = f":{mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{path}{line}: invalid YAML: {exc.problem or exc.context}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
        finally:
            loader.dispose()
        return cls(path, data, root)

    def line_of(self, loc: Sequence[int | str]) -> int | None:
        """The 1-based line of the deepest node on ``loc`` that exists in the file."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for key in loc:
            child = _child(node, key)
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line

    def validate(self, model: type[M], data: Any = None) -> M:
        try:
            return model.model_validate(self.data if data is None else data)
        except ValidationError as exc:
            raise self.error(exc) from None

    def error(self, exc: ValidationError) -> ConfigError:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        key = ".".join(str(part) for part in loc) or "(top level)"
        line = self.line_of(loc)
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        return ConfigError(f"{where}: {key}: {first['msg']}{suffix}")


def _child(node: yaml.Node | None, key: int | str) -> yaml.Node | None:
    children: list[tuple[str | int, yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        children = [(k.value, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
    elif isinstance(node, yaml.SequenceNode):
        children = list(enumerate(node.value))
    wanted = key if isinstance(node, yaml.SequenceNode) else str(key)
    return next((child for name, child in children if name == wanted), None)
