"""The SSH engine: steps run on remote hosts over a verified SSH connection (paramiko).

``hostkeys`` keeps the workbench's own known_hosts and fingerprints; ``connection`` opens
verified connections with clear refusals (a handshake the server dropped is tried again);
``pool`` shares them per target within a stock sshd's limits; ``bundle`` packs the runtime a step needs;
``engine`` ships and runs a step and fetches its verified outputs.
"""
