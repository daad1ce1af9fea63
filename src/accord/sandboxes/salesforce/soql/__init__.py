"""A SOQL subset: tokenizer, parser and evaluator."""

from accord.sandboxes.salesforce.soql.evaluate import execute, record_url
from accord.sandboxes.salesforce.soql.lexer import SoqlSyntaxError
from accord.sandboxes.salesforce.soql.parser import parse

__all__ = ["SoqlSyntaxError", "execute", "parse", "record_url"]
