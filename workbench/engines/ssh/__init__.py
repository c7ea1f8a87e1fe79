"""The SSH engine: steps run on remote hosts over a verified SSH connection (paramiko).

``hostkeys`` keeps the workbench's own known_hosts and fingerprints; ``connection`` opens
verified connections with clear refusals; ``bundle`` packs the runtime a step needs;
``engine`` ships and runs a step and fetches its verified outputs.
"""
