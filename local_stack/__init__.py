"""A SAM application on one machine, on moto, with no AWS account and no Docker (docs/local-stack-design.md).

The template is the only description of the stack: ``template`` reads it as SAM deploys it, ``provision``
creates its resources in moto, ``runtime`` runs the functions' real handlers in this process (as moto's
Lambda and as the API's integration), and ``front`` serves the HTTP API as ``sam local start-api`` would.
What it is told of one application beyond its template is an ``app.App``, handed in from the top.
"""
