"""The whole service on one machine, with no AWS account and no Docker.

``template.yaml`` is the only description of the stack: ``template`` reads it, ``provision``
creates its resources in moto, ``runtime`` runs the functions' real handlers in this process
(as moto's Lambda and as the API's integration), and ``front`` serves the HTTP API the way
``sam local start-api`` would.
"""
