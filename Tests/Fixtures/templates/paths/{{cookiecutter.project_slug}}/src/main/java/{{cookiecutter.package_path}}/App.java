package {{ cookiecutter.package }};

public class App {}
