from conftest import ACCOUNT, http_event, put_job


def test_stop_in_progress_job_through_the_api_function(stack):
    job_id = put_job("IN_PROGRESS")
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", {"JobId": job_id}, target="StopTextTranslationJob"))
    assert response["statusCode"] == 200, response
    assert '"STOP_REQUESTED"' in response["body"]
    _ = ACCOUNT
