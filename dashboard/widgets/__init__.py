"""Parts that pages compose: forms and their feedback, the patient finder, paging, URL state, the review and treatment sections."""
