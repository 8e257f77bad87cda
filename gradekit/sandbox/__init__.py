"""Running untrusted code: a child process boxed by rlimits, a jail (namespaces, a uid of its own) and a
wall clock; how strong the isolation on this machine is; the fork server of a batch.

``child/`` holds every file the child runs (read as text, never imported by the grader for
itself): exactly what isolation exposes to it. Imports only ``gradekit.core``.
"""
