from core.tasks import ping_task


def test_a_real_worker_runs_tasks_from_the_broker(celery_worker):
    # given a worker consuming from Redis
    # when a task is sent through the broker
    result = ping_task.delay()
    # then the worker runs it and the result comes back through the result backend
    assert result.get(timeout=20) == "pong"
