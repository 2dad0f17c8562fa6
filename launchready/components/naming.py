"""The one type-token namespace of every launchready component (``<package>:index:<Class>``).

A stable token lets ``component_provider_host`` expose the components to other Pulumi
languages later without renaming anything in existing stacks' state.
"""

TOKEN_PREFIX = "launchready:index:"
