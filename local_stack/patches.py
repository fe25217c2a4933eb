"""Every change local_stack makes to moto and botocore, in one list, each with what it works around and its
canary (docs/local-stack-design.md, "Every patch, one list"): ``Patched.make`` makes one (its ``install`` returns
how to undo it), ``Patched.undo`` undoes them all, last made first (a patch of a patched method restores the
patched one). The process's own hooks (requests served first, injected faults, the kept state) have no canary.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local_stack import faults, foreground, iam, moto_patches, moto_speed, runtime

Undo = Callable[[], None]


@dataclass(frozen=True)
class Patch:
    name: str
    works_around: str  # moto's behaviour (or the local need) it changes
    install: Callable[..., Undo]
    canary: str = ""  # the test showing moto still behaves so (tests/integration/test_moto_canaries.py)


class Patched:
    """The patches made so far, in order."""

    def __init__(self) -> None:
        self._undos: list[tuple[str, Undo]] = []

    def make(self, patch: Patch, *args: Any) -> None:
        self._undos.append((patch.name, patch.install(*args)))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._undos]

    def undo(self) -> None:
        while self._undos:
            self._undos.pop()[1]()


# ---------- the process's own hooks (made first: every botocore session made afterwards has them) ----------

PROCESS_HOOKS = [
    Patch("requests-first", "background work waits while a request is answered (local_stack.foreground)", foreground.install),
    Patch("faults", "the functions' AWS calls fail as planned (local_stack.faults), before moto sees them", faults.install),
]

# ---------- moto, before the state machine is parsed ----------

BEFORE_PROVISIONING = [
    Patch("json-lines-item-reader",
          "moto 5.2.5's ItemReader knows CSV and JSON only and refuses a state machine reading JSONL",
          moto_patches.json_lines_item_reader, "test_an_item_reader_of_json_lines_is_refused"),
    Patch("distributed-map", "moto's Distributed Map recurses once per item (RecursionError after ~990: the execution "
          "never ends) and ignores ToleratedFailureCount/Percentage (a failing item does not fail the Map)",
          moto_patches.iterative_distributed_map,
          "test_the_distributed_map_recurses_per_item_and_ignores_failure_tolerance"),
    Patch("stopped-executions-stay-aborted", "moto's Environment.set_error overwrites a stopped program: a StopExecution "
          "landing as a Task begins ended the execution FAILED ('dict' object has no attribute 'region'), not ABORTED",
          moto_patches.stopped_executions_stay_aborted, "test_an_error_after_a_stop_overwrites_it"),
]

# ---------- moto, with the stack provisioned ----------

FUNCTIONS_AS_LAMBDA = Patch(
    "lambda-runs-handlers", "moto runs Lambda code only in Docker; its 'simple' backend echoes payloads",
    runtime.install_moto_lambda, "test_lambda_without_docker_echoes_the_payload")
WITH_THE_STACK = [
    Patch("dynamodb-atomic", "moto applies DynamoDB requests without a lock (two conditional updates both pass), and a "
          "cancelled transaction replaces each table it touched with a deep copy (a new stream shard the open "
          "iterators never see)", moto_patches.atomic_moto_dynamodb,
          "test_a_cancelled_transaction_leaves_open_stream_iterators_on_a_dead_shard"),
    Patch("dynamodb-idempotent-transactions", "moto ignores TransactWriteItems' ClientRequestToken: a retried transaction "
          "whose answer was lost is applied again (DynamoDB answers it again for 10 minutes without writing)",
          moto_patches.idempotent_transactions, "test_a_transaction_retried_with_its_token_is_applied_again"),
    Patch("s3-no-such-upload",
          "moto answers UploadPart to a finished multipart upload with a 500 (KeyError), not 404 NoSuchUpload",
          moto_patches.s3_no_such_upload, "test_a_part_of_a_finished_upload_is_a_500"),
    Patch("s3-listing-during-deletes", "moto's listing fails (KeyError, a 500) when a key is deleted while it lists",
          moto_patches.s3_listing_during_deletes, "test_a_key_deleted_during_a_listing_fails_it"),
    Patch("s3-tags-with-their-object", "moto keeps the tag set of every object ever put, deleted or not",
          moto_patches.s3_tags_deleted_with_their_object, "test_a_deleted_objects_tags_are_kept"),
    Patch("speed:sqs-send", "moto's SendMessage counts every message of the queue (three passes) to read one attribute",
          moto_speed.sqs_send_without_counting, "test_a_send_counts_every_message_of_the_queue"),
    Patch("speed:dynamodb-items",
          "moto serializes each DynamoDB attribute value through its generic model-driven serializer",
          moto_speed.dynamodb_items_serialized_directly, "test_items_go_through_the_generic_serializer"),
    Patch("speed:update-expression-parsed-once", "moto parses each UpdateExpression twice per UpdateItem",
          moto_speed.update_expressions_parsed_once, "test_an_update_expression_is_parsed_twice_per_update"),
    Patch("speed:update-expression-validation", "moto deep-copies the expression's tree and rebuilds its processors' "
          "tables for every node", moto_speed.update_expressions_validated_faster,
          "test_the_validator_deep_copies_the_tree"),
    Patch("speed:executions-after-the-answer", "moto's StartExecution starts the execution's thread before it answers",
          moto_speed.executions_started_after_the_answer, "test_start_execution_starts_its_worker_before_answering"),
    Patch("speed:handler-methods-listed-once",
          "moto lists a response class's methods (inspect.getmembers) on every request",
          moto_speed.handler_methods_listed_once, "test_a_response_classs_methods_are_listed_on_every_request"),
    Patch("speed:dynamodb-sort-keys", "moto's Query sorts the table's items comparing their keys as attribute values, "
          "each comparison converting both again", moto_speed.dynamodb_sort_keys_converted_once,
          "test_a_query_sorts_the_items_comparing_attribute_values"),
]
IAM = Patch(
    "iam", "moto's access control is off unless asked, and then 'very basic' (no conditions, no trust policies, no "
    "session tags); it has no SimulatePrincipalPolicy. local_stack.iam authorizes every request instead, and each "
    "function calls AWS as its own role (botocore's credentials, the interpreter's clients)",
    iam.enable, "test_iam_has_no_policy_simulator")
EVENT_ROUTER = Patch(
    "eventbridge", "moto's EventBridge has no Lambda targets, ignores a rule's State, retries and dead-letter queues, "
    "runs no schedule; its Step Functions publish no status events (local_stack.eventbridge)",
    lambda router: router.install(), "test_a_disabled_rule_still_gets_events")

# ---------- the emulator's state kept in a folder (make run) ----------

PERSISTENCE = Patch(
    "persistence", "every change to a kept backend applied under one lock and journaled before its answer leaves "
    "(local_stack.persistence)", lambda state, locks: state.start(locks=locks))

LOCAL_HOOKS = [*PROCESS_HOOKS, PERSISTENCE]  # not about moto's behaviour: no canary
ALL = [*PROCESS_HOOKS, *BEFORE_PROVISIONING, FUNCTIONS_AS_LAMBDA, *WITH_THE_STACK, IAM, PERSISTENCE, EVENT_ROUTER]
