"""translate-jobs: Amazon Translate batch translation jobs, reimplemented on AWS serverless.

Where things live:
- ``jobs``: the job lifecycle rules (statuses, what Stop and Finalize may do).
- ``service``: the four operations (Start, Describe, List, Stop), independent of HTTP.
- ``store``: the DynamoDB job table (PynamoDB), the only module that talks to DynamoDB.
- ``wire``: the AWS JSON 1.1 protocol and the one place domain errors become wire errors.
- ``validation``: request validation driven by botocore's own Translate model.
- ``workflow``: the steps the Step Functions workflow runs (begin, plan, translate, finalize).
"""
