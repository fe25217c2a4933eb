"""The API serves every operation of Amazon Translate's model, each through one typed request."""

import botocore.session

from translate_jobs.api.operations import OPERATIONS


def test_every_operation_of_amazon_translates_model_is_served():
    model = botocore.session.get_session().get_service_model("translate")
    assert sorted(OPERATIONS) == sorted(model.operation_names)
