"""translate-jobs: Amazon Translate batch translation jobs, reimplemented on AWS serverless.

The packages are layers, one a floor, top to bottom as listed; a module imports only from its own
package or the floors below it (tests/unit/test_layering.py checks it):

- ``events``: what other AWS services send and receive: ``state_changes`` (stream -> EventBridge),
  ``stop_requests`` (SQS / EventBridge -> Stop).
- ``api``: the four operations (Start, Describe, List, Stop) and their wire protocol: ``wire``
  (AWS JSON 1.1, the one place domain errors become wire errors), ``validation`` (botocore's own
  Translate model), ``operations``, ``tokens`` (List's signed NextToken), ``client``.
- ``workflow``: the steps the Step Functions workflow runs (``steps``) and ``reconcile``.
- ``integrations``: S3 as the caller's data-access role (``s3_as_role``), translation ``engines``,
  document formats (``documents``, ``office``).
- ``dal``: the DynamoDB job table (``store``, the only module that talks to DynamoDB) and List's
  index plans (``queries``).
- ``core``: settings (``config``), logs/metrics/traces (``observability``), the retry contract
  (``transient``).
- ``domain``: the job lifecycle rules (``lifecycle``), user-facing ``messages``, ``languages``,
  ``errors``. No I/O.
"""
