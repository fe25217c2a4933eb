"""The languages a job may name: Amazon Translate's own list, which every engine here accepts.

The Translate model only bounds a language code's length (2..5), so without this list a code such
as ``../..`` would pass validation and end up in output keys. Source: "Supported languages and
language codes" in the Amazon Translate Developer Guide (ISO 639-1, with an RFC 5646 region
suffix for the regional variants). A batch job's source may also be ``auto`` (detected per document).
"""

from translate_jobs.domain.errors import UnsupportedLanguagePairError

SUPPORTED_LANGUAGE_CODES = frozenset(
    {
        "af", "sq", "am", "ar", "hy", "az", "bn", "bs", "bg", "ca", "zh", "zh-TW", "hr", "cs", "da",
        "fa-AF", "nl", "en", "et", "fa", "tl", "fi", "fr", "fr-CA", "ka", "de", "el", "gu", "ht", "ha",
        "he", "hi", "hu", "is", "id", "ga", "it", "ja", "kn", "kk", "ko", "lv", "lt", "mk", "ms", "ml",
        "mt", "mr", "mn", "no", "ps", "pl", "pt", "pt-PT", "pa", "ro", "ru", "sr", "si", "sk", "sl",
        "so", "es", "es-MX", "sw", "sv", "ta", "te", "th", "tr", "uk", "ur", "uz", "vi", "cy",
    }
)  # fmt: skip
AUTO = "auto"
# Each language's name in English, as Amazon Translate's ListLanguages gives it (DisplayLanguageCode en), in its order.
LANGUAGE_NAMES = {
    "af": "Afrikaans", "sq": "Albanian", "am": "Amharic", "ar": "Arabic", "hy": "Armenian", "az": "Azerbaijani",
    "bn": "Bengali", "bs": "Bosnian", "bg": "Bulgarian", "fr-CA": "Canadian French", "ca": "Catalan", "zh": "Chinese",
    "zh-TW": "Chinese Traditional", "hr": "Croatian", "cs": "Czech", "da": "Danish", "fa-AF": "Dari", "nl": "Dutch",
    "en": "English", "et": "Estonian", "fi": "Finnish", "fr": "French", "ka": "Georgian", "de": "German",
    "el": "Greek", "gu": "Gujarati", "ht": "Haitian Creole", "ha": "Hausa", "he": "Hebrew", "hi": "Hindi",
    "hu": "Hungarian", "is": "Icelandic", "id": "Indonesian", "ga": "Irish", "it": "Italian", "ja": "Japanese",
    "kn": "Kannada", "kk": "Kazakh", "ko": "Korean", "lv": "Latvian", "lt": "Lithuanian", "mk": "Macedonian",
    "ms": "Malay", "ml": "Malayalam", "mt": "Maltese", "mr": "Marathi", "es-MX": "Mexican Spanish", "mn": "Mongolian",
    "no": "Norwegian", "ps": "Pashto", "fa": "Persian", "pl": "Polish", "pt-PT": "Portugal Portuguese",
    "pt": "Portuguese", "pa": "Punjabi", "ro": "Romanian", "ru": "Russian", "sr": "Serbian", "si": "Sinhala",
    "sk": "Slovak", "sl": "Slovenian", "so": "Somali", "es": "Spanish", "sw": "Swahili", "sv": "Swedish",
    "tl": "Tagalog", "ta": "Tamil", "te": "Telugu", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu",
    "uz": "Uzbek", "vi": "Vietnamese", "cy": "Welsh",
}  # fmt: skip


def check_language_pair(source: str, targets: list[str]) -> None:
    """UnsupportedLanguagePairError (as Amazon Translate answers) for the first code it does not support."""
    if source != AUTO and source not in SUPPORTED_LANGUAGE_CODES:
        raise UnsupportedLanguagePairError(_unsupported(source, targets[0], source))
    for target in targets:
        if target not in SUPPORTED_LANGUAGE_CODES:
            raise UnsupportedLanguagePairError(_unsupported(source, target, target))


def _unsupported(source: str, target: str, code: str) -> str:
    return (
        f"Unsupported language pair: {source} to {target}. The language code {code} is not supported; "
        "see Supported languages and language codes in the Amazon Translate Developer Guide."
    )
