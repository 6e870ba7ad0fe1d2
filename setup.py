"""Build hook: ship the top-level rules/ and templates/ inside the wheel as mailflow/_bundled/.

They stay at the top of the repository (an administrator edits them there), and the loaders
look in ``mailflow/_bundled`` first, then beside the package (a source checkout).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithBundled(build_py):
    """Copy the rules and templates into the built package."""

    def run(self) -> None:
        super().run()
        for name in ("rules", "templates"):
            target = Path(self.build_lib) / "mailflow" / "_bundled" / name
            skip = shutil.ignore_patterns("~$*", "__pycache__")
            shutil.copytree(name, target, dirs_exist_ok=True, ignore=skip)


setup(cmdclass={"build_py": BuildWithBundled})
