"""Packaging for simple-workflow: the ``swf`` and ``swf_gevent`` packages."""

from setuptools import find_packages, setup

setup(
    name="simple-workflow",
    version="0.1.0",
    description="Amazon Simple Workflow (SWF) made pleasant: typed models, actors and a gevent runtime.",
    long_description=open("README.rst", encoding="utf-8").read(),
    long_description_content_type="text/x-rst",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["swf", "swf.*", "swf_gevent", "swf_gevent.*"]),
    package_data={"swf": ["py.typed"], "swf_gevent": ["py.typed"]},
    install_requires=[
        "boto3>=1.28",
        "botocore>=1.31",
        "gevent>=23.9",
        "greenlet>=3.0",
        "blinker>=1.6",
    ],
    extras_require={
        "test": [
            "pytest>=7.4",
            "pytest-timeout>=2.1",
            "moto[server]>=5.0",
            "awscli>=1.29",
            "mypy>=1.5",
            "ruff>=0.6",
            "prometheus-client>=0.17",
            "statsd>=4.0",
            "cryptography>=41",
            # the web UI's browser tests drive Debian's chromium through its chromedriver
            "selenium>=4.10",
            # the documentation is built (sphinx -W) and its examples run by the suite
            "sphinx>=7.2",
            "furo>=2024.1",
        ],
        "docs": ["sphinx>=7.2", "furo>=2024.1"],
        "prometheus": ["prometheus-client>=0.17"],
        "statsd": ["statsd>=4.0"],
        # Fernet encryption of payloads (swf.payloads.Fernet)
        "encryption": ["cryptography>=41"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Framework :: Gevent",
        "Topic :: System :: Distributed Computing",
    ],
)
