"""Errors raised by the sample-data generator."""


class SampleDataError(Exception):
    """Base error of lakehub.sample_data."""


class InvalidSampleOptionError(SampleDataError, ValueError):
    """An option passed to generate_sample is out of range or unknown."""
