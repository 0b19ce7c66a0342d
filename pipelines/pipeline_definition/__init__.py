"""Checks of a SageMaker pipeline definition document that need nothing to run: its step graph, the static
arguments of each step type, its expressions and its parameters.

The local executor makes them before a run, and `pipelines.ack.check` before a manifest is applied; this
package imports neither of them, so a client command can check a definition without the emulator.
"""
