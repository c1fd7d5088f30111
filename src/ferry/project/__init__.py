"""Integration projects: `ferry.yaml` and its mapping files, checked with file and line for every problem.

project = Project.load("my-project")          # ProblemsError listing everything wrong
config = project.connection_config("d365")    # the connector's Config, secrets resolved as SecretStr
"""

from ferry.project.checks import PROJECT_FILE
from ferry.project.connectors import config_model, connection_types
from ferry.project.models import (
    Connection,
    Direction,
    Link,
    Maps,
    MatchRule,
    NewestWins,
    ProjectSpec,
    Review,
    Side,
    Sync,
    SystemOfRecord,
    Trigger,
)
from ferry.project.project import Project, Report, validate
from ferry.project.refs import Reference, parse_reference

__all__ = [
    "PROJECT_FILE",
    "Connection",
    "Direction",
    "Link",
    "Maps",
    "MatchRule",
    "NewestWins",
    "Project",
    "ProjectSpec",
    "Reference",
    "Report",
    "Review",
    "Side",
    "Sync",
    "SystemOfRecord",
    "Trigger",
    "config_model",
    "connection_types",
    "parse_reference",
    "validate",
]
