"""SageMaker AddTags as AWS answers it."""
